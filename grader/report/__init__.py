"""What people read: the terminal table, the students' feedback pages and the instructor's class report."""
