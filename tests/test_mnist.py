"""Tests of course_lib.mnist against the real shipped MNIST files and small IDX files made here."""
from __future__ import annotations

import gzip
import shutil
import struct
import time

import numpy as np
import pytest

from course_lib import mnist
from course_lib.mnist import DataFileError, load_idx, load_mnist, one_hot, train_val_split

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
ALL_FILES = [name for pair in mnist.SPLIT_FILES.values() for name in pair]


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """Encode ``array`` as an IDX file (big-endian)."""
    dtype = {0x08: ">u1", 0x0C: ">i4", 0x0D: ">f4"}[type_code]
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.asarray(array, dtype=dtype).tobytes()


def write_dataset(directory, images: np.ndarray, labels: np.ndarray, split="train", gz=True):
    """Write images (m, rows, cols) and labels (m,) under the MNIST names of ``split``."""
    for name, array in zip(mnist.SPLIT_FILES[split], (images, labels)):
        data = idx_bytes(array)
        if gz:
            (directory / name).write_bytes(gzip.compress(data, mtime=0))
        else:
            (directory / name[: -len(".gz")]).write_bytes(data)


@pytest.fixture(scope="module")
def train():
    return load_mnist("train")


@pytest.fixture(scope="module")
def test_split():
    return load_mnist("test")


@pytest.fixture
def shipped_copy(tmp_path):
    """A copy of the four shipped files in a temporary directory."""
    for name in ALL_FILES:
        shutil.copy(mnist.SHIPPED_DIR / name, tmp_path / name)
    return tmp_path


# ------------------------------------------------------------------ the real files

def test_train_shapes_dtype_range_and_counts(train):
    X, y = train
    assert X.shape == (784, 60000)
    assert y.shape == (60000,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.flags.c_contiguous
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.bincount(y, minlength=10).tolist() == TRAIN_COUNTS


def test_test_shapes_dtype_range_and_counts(test_split):
    X, y = test_split
    assert X.shape == (784, 10000) and y.shape == (10000,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.bincount(y, minlength=10).tolist() == TEST_COUNTS


def test_pixels_are_raw_bytes_over_255(test_split):
    X, _ = test_split
    raw = load_idx(mnist.SHIPPED_DIR / "t10k-images-idx3-ubyte.gz")
    assert raw.shape == (10000, 28, 28) and raw.dtype == np.uint8
    # column i is image i in row-major order
    np.testing.assert_array_equal(X[:, 7], raw[7].ravel() / 255)
    labels = load_idx(mnist.SHIPPED_DIR / "t10k-labels-idx1-ubyte.gz")
    assert labels.shape == (10000,) and labels.dtype == np.uint8


def test_float32_option(test_split):
    X32, y32 = load_mnist("test", dtype=np.float32)
    assert X32.dtype == np.float32 and X32.flags.c_contiguous
    assert X32.shape == (784, 10000)
    np.testing.assert_allclose(X32, test_split[0], rtol=1e-7, atol=0)
    np.testing.assert_array_equal(y32, test_split[1])


def test_repeated_full_train_load_hits_the_cache(train):
    before = mnist._load_split_uint8.cache_info()
    start = time.perf_counter()
    X, y = load_mnist("train")
    elapsed = time.perf_counter() - start
    after = mnist._load_split_uint8.cache_info()
    assert after.misses == before.misses, "second load of the train split decoded the files again"
    assert after.hits == before.hits + 1
    assert elapsed < 5  # generous: this is mostly allocating 376 MB of float64
    np.testing.assert_array_equal(y, train[1])
    assert X is not train[0]


def test_returned_arrays_are_fresh_and_writable():
    X1, y1 = load_mnist("test")
    X1[:] = -1.0
    y1[:] = 99
    X2, y2 = load_mnist("test")
    assert X2.min() == 0.0 and X2.max() == 1.0
    assert np.bincount(y2, minlength=10).tolist() == TEST_COUNTS


def test_subset_is_deterministic_and_drawn_from_the_split(test_split):
    Xa, ya = load_mnist("test", subset=500, seed=3)
    Xb, yb = load_mnist("test", subset=500, seed=3)
    Xc, yc = load_mnist("test", subset=500, seed=4)
    assert Xa.shape == (784, 500) and ya.shape == (500,)
    assert Xa.flags.c_contiguous
    np.testing.assert_array_equal(Xa, Xb)
    np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(Xa, Xc)
    # every subset column is a column of the full split, with its own label, and none repeats
    def keys(X, y):
        pixels = np.rint(X * 255).astype(np.uint8)
        return [(col.tobytes(), int(label)) for col, label in zip(pixels.T, y)]

    full = set(keys(*test_split))
    assert len(full) == 10000  # the test split has no exact duplicates
    picked = keys(Xa, ya)
    assert all(key in full for key in picked)
    assert len(set(picked)) == 500  # drawn without replacement


def test_subset_accepts_a_generator():
    Xa, _ = load_mnist("test", subset=50, seed=np.random.default_rng(7))
    Xb, _ = load_mnist("test", subset=50, seed=7)
    np.testing.assert_array_equal(Xa, Xb)


def test_subset_errors():
    with pytest.raises(ValueError, match=r"subset=10001.*10000 samples"):
        load_mnist("test", subset=10001)
    with pytest.raises(ValueError, match="subset=0"):
        load_mnist("test", subset=0)
    with pytest.raises(TypeError, match="subset must be an integer"):
        load_mnist("test", subset=12.5)


def test_bad_split_and_dtype():
    with pytest.raises(ValueError, match=r'split must be "train" or "test", got \'valid\'.*'
                                         r'train_val_split'):
        load_mnist("valid")
    with pytest.raises(ValueError, match="split must be"):
        load_mnist("Train")
    with pytest.raises(ValueError, match="dtype must be numpy.float32 or numpy.float64"):
        load_mnist("test", dtype=np.int32)


def test_global_random_state_is_untouched():
    np.random.seed(123)
    expected = np.random.random(3)
    np.random.seed(123)
    load_mnist("test", subset=10, seed=1)
    train_val_split(np.zeros((2, 20)), np.zeros(20, dtype=int), n_val=5, seed=1)
    np.testing.assert_array_equal(np.random.random(3), expected)


# ------------------------------------------------------------------ damaged and missing files

def test_checksum_mismatch_is_refused_and_names_the_file(shipped_copy, monkeypatch):
    name = "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress((shipped_copy / name).read_bytes()))
    raw[8] = (raw[8] + 1) % 10  # first label: still a valid, consistent IDX file
    (shipped_copy / name).write_bytes(gzip.compress(bytes(raw), mtime=0))
    monkeypatch.setattr(mnist, "SHIPPED_DIR", shipped_copy)

    with pytest.raises(DataFileError,
                       match=r"t10k-labels-idx1-ubyte\.gz: SHA-256 mismatch") as info:
        load_mnist("test")
    message = str(info.value)
    assert mnist.KNOWN_SHA256[name] in message
    assert "git checkout course_lib/data/mnist" in message
    # verify=False is the explicit way around the check
    _, y = load_mnist("test", verify=False)
    assert y[0] == raw[8]


def test_custom_path_skips_the_checksum_but_shipped_dir_does_not(shipped_copy):
    name = "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress((shipped_copy / name).read_bytes()))
    raw[8] = (raw[8] + 1) % 10
    (shipped_copy / name).write_bytes(gzip.compress(bytes(raw), mtime=0))
    X, y = load_mnist("test", path=shipped_copy)  # not the shipped dir: structure only
    assert X.shape == (784, 10000) and y[0] == raw[8]


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope-idx1-ubyte\.gz"):
        load_idx(tmp_path / "nope-idx1-ubyte.gz")
    write_dataset(tmp_path, np.zeros((2, 28, 28), np.uint8), np.zeros(2, np.uint8), "train")
    with pytest.raises(FileNotFoundError, match=r"t10k-images-idx3-ubyte\.gz' is missing"):
        load_mnist("test", path=tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match=r"train-labels-idx1-ubyte\.gz' is missing"):
        load_mnist("train", path=tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist("test", path=tmp_path / "no-such-dir")


def test_truncated_gzip_is_a_data_file_error(tmp_path):
    data = (mnist.SHIPPED_DIR / "t10k-labels-idx1-ubyte.gz").read_bytes()
    bad = tmp_path / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFileError, match=r"t10k-labels-idx1-ubyte\.gz.*truncated"):
        load_idx(bad)


def test_truncated_idx_content_reports_sizes(tmp_path):
    raw = gzip.decompress((mnist.SHIPPED_DIR / "t10k-labels-idx1-ubyte.gz").read_bytes())
    bad = tmp_path / "short-labels.gz"
    bad.write_bytes(gzip.compress(raw[: 8 + 1000], mtime=0))
    with pytest.raises(DataFileError,
                       match=r"short-labels\.gz: header says 10000 = 10000 bytes of data but "
                             r"the file holds 1000"):
        load_idx(bad)
    images = np.zeros((3, 2, 2), np.uint8)
    long = tmp_path / "long.idx"
    long.write_bytes(idx_bytes(images) + b"\x00")
    with pytest.raises(DataFileError, match=r"3x2x2 = 12 bytes.*holds 13.*extra bytes"):
        load_idx(long)


@pytest.mark.parametrize("content", [
    b"this is not an IDX file, nor gzip",
    b"\x1f\x8b" + bytes(range(200)),          # gzip magic followed by garbage
    b"\x00\x00\x07\x01\x00\x00\x00\x01\x05",  # unknown IDX type code 07
    b"\x00\x00",                              # too short
    b"\x00\x00\x08\x03\x00\x00",              # header cut off
])
def test_garbage_is_a_data_file_error(tmp_path, content):
    bad = tmp_path / "garbage-idx3-ubyte.gz"
    bad.write_bytes(content)
    with pytest.raises(DataFileError, match=r"garbage-idx3-ubyte\.gz"):
        load_idx(bad)


def test_mismatched_image_and_label_counts(tmp_path):
    write_dataset(tmp_path, np.zeros((5, 28, 28), np.uint8), np.zeros(4, np.uint8), "train")
    with pytest.raises(DataFileError, match=r"5 images.*4 labels"):
        load_mnist("train", path=tmp_path)


# ------------------------------------------------------------------ custom IDX data sets

@pytest.mark.parametrize("gz", [True, False])
def test_custom_path_small_dataset(tmp_path, gz):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 0, 9, 9, 1], dtype=np.uint8)
    write_dataset(tmp_path, images, labels, "train", gz=gz)
    X, y = load_mnist("train", path=tmp_path)
    assert X.shape == (784, 5) and X.dtype == np.float64 and X.flags.c_contiguous
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, labels)
    np.testing.assert_array_equal(X, images.reshape(5, -1).T / 255)
    X32, _ = load_mnist("train", path=str(tmp_path), dtype=np.float32, subset=3, seed=0)
    assert X32.shape == (784, 3) and X32.dtype == np.float32


def test_replaced_file_is_read_again(tmp_path):
    write_dataset(tmp_path, np.zeros((2, 28, 28), np.uint8), np.array([1, 2], np.uint8))
    assert load_mnist("train", path=tmp_path)[1].tolist() == [1, 2]
    time.sleep(0.01)
    write_dataset(tmp_path, np.full((3, 28, 28), 255, np.uint8), np.array([4, 5, 6], np.uint8))
    X, y = load_mnist("train", path=tmp_path)
    assert y.tolist() == [4, 5, 6] and X.min() == 1.0


def test_load_idx_other_types_native_byte_order(tmp_path):
    ints = np.arange(-3, 3, dtype=np.int32).reshape(2, 3)
    (tmp_path / "ints.idx").write_bytes(idx_bytes(ints, 0x0C))
    out = load_idx(tmp_path / "ints.idx")
    assert out.shape == (2, 3) and out.dtype == np.int32 and out.dtype.isnative
    np.testing.assert_array_equal(out, ints)
    floats = np.array([0.5, -1.25, 3.0], dtype=np.float32)
    (tmp_path / "floats.idx.gz").write_bytes(gzip.compress(idx_bytes(floats, 0x0D)))
    out = load_idx(str(tmp_path / "floats.idx.gz"))
    assert out.dtype == np.float32 and out.dtype.isnative and out.flags.writeable
    np.testing.assert_array_equal(out, floats)


# ------------------------------------------------------------------ one_hot

def test_one_hot_round_trip():
    y = np.array([3, 0, 9, 9, 1])
    T = one_hot(y)
    assert T.shape == (10, 5) and T.dtype == np.float64
    np.testing.assert_array_equal(T.sum(axis=0), np.ones(5))
    np.testing.assert_array_equal(T.argmax(axis=0), y)
    assert T[3, 0] == 1 and T[9, 2] == 1 and T[9, 3] == 1
    T3 = one_hot(np.array([0, 2, 1], dtype=np.uint8), n_classes=3, dtype=np.float32)
    assert T3.dtype == np.float32
    np.testing.assert_array_equal(T3, np.eye(3)[:, [0, 2, 1]])
    assert one_hot([], n_classes=4).shape == (4, 0)


def test_one_hot_of_real_labels(test_split):
    _, y = test_split
    T = one_hot(y)
    assert T.shape == (10, 10000)
    np.testing.assert_array_equal(T.sum(axis=1), TEST_COUNTS)
    np.testing.assert_array_equal(T.argmax(axis=0), y)


def test_one_hot_errors():
    with pytest.raises(ValueError, match=r"label 10 at index 2 is outside 0\.\.9"):
        one_hot(np.array([1, 2, 10]))
    with pytest.raises(ValueError, match=r"label -1 at index 0 is outside 0\.\.9"):
        one_hot(np.array([-1, 2, 3]))
    with pytest.raises(TypeError, match="labels must be integers, got dtype float64"):
        one_hot(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="labels must be integers, got dtype bool"):
        one_hot(np.array([True, False]))
    with pytest.raises(ValueError, match=r"shape \(1, 3\); pass y\.ravel\(\)"):
        one_hot(np.array([[1, 2, 3]]))
    with pytest.raises(ValueError, match="n_classes must be at least 1"):
        one_hot([0], n_classes=0)


# ------------------------------------------------------------------ train_val_split

def test_train_val_split_shapes_disjoint_and_deterministic():
    m = 50
    X = np.vstack([np.arange(m), -np.arange(m)]).astype(float)  # column i identifies sample i
    y = np.arange(m) % 7
    X_tr, y_tr, X_val, y_val = train_val_split(X, y, n_val=12, seed=5)
    assert X_tr.shape == (2, 38) and y_tr.shape == (38,)
    assert X_val.shape == (2, 12) and y_val.shape == (12,)
    assert X_tr.flags.c_contiguous and X_val.flags.c_contiguous
    ids = np.concatenate([X_tr[0], X_val[0]]).astype(int)
    assert sorted(ids.tolist()) == list(range(m))  # no column lost or duplicated
    np.testing.assert_array_equal(y_tr, X_tr[0].astype(int) % 7)  # labels travel with columns
    np.testing.assert_array_equal(y_val, X_val[0].astype(int) % 7)
    again = train_val_split(X, y, n_val=12, seed=5)
    for a, b in zip((X_tr, y_tr, X_val, y_val), again):
        np.testing.assert_array_equal(a, b)
    other = train_val_split(X, y, n_val=12, seed=6)
    assert not np.array_equal(X_val, other[2])
    assert not np.array_equal(X_tr[0], np.sort(X_tr[0]))  # shuffled
    # extremes and one-hot targets
    for n_val in (1, m - 1):
        parts = train_val_split(X, one_hot(y), n_val=n_val)
        assert parts[1].shape == (10, m - n_val) and parts[3].shape == (10, n_val)


def test_load_train_val_is_train_val_split_of_the_training_data():
    """load_train_val splits before converting, and gives exactly what train_val_split gives
    on the whole training split, in the dtype asked for."""
    from course_lib.mnist import load_train_val
    direct = load_train_val(n_val=5000, seed=3, dtype=np.float32)
    split = train_val_split(*load_mnist("train", dtype=np.float32), n_val=5000, seed=3)
    for got, expected in zip(direct, split, strict=True):
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
    assert direct[0].dtype == np.float32 and direct[1].dtype == np.int64
    with pytest.raises(ValueError, match="float32 or numpy.float64"):
        load_train_val(dtype=np.int32)


def test_load_pixels_gives_the_stored_bytes_read_only():
    from course_lib.mnist import load_pixels
    X_u8, labels = load_pixels("test")
    X, y = load_mnist("test")
    assert X_u8.dtype == np.uint8 and not X_u8.flags.writeable
    np.testing.assert_array_equal(X_u8 / 255, X)
    np.testing.assert_array_equal(labels, y)


def test_train_val_split_real_data_default_n_val():
    X, y = load_mnist("test", subset=2000, seed=0)
    X_tr, y_tr, X_val, y_val = train_val_split(X, y, n_val=500)
    assert X_tr.shape == (784, 1500) and X_val.shape == (784, 500)
    assert np.bincount(np.concatenate([y_tr, y_val]), minlength=10).tolist() == \
        np.bincount(y, minlength=10).tolist()
    with pytest.raises(ValueError, match=r"n_val=10000 is impossible with m=2000"):
        train_val_split(X, y)


@pytest.mark.parametrize("n_val, error", [
    (0, ValueError), (-1, ValueError), (20, ValueError), (25, ValueError),
    (2.5, TypeError), (True, TypeError), ("3", TypeError),
])
def test_train_val_split_bad_n_val(n_val, error):
    with pytest.raises(error, match="n_val"):
        train_val_split(np.zeros((3, 20)), np.zeros(20, dtype=int), n_val=n_val)


def test_train_val_split_shape_errors():
    with pytest.raises(ValueError, match="X has 20 samples.*y has 19"):
        train_val_split(np.zeros((3, 20)), np.zeros(19, dtype=int), n_val=5)
    with pytest.raises(ValueError, match=r"samples of X are rows: pass X\.T"):
        train_val_split(np.zeros((20, 3)), np.zeros(20, dtype=int), n_val=5)
    with pytest.raises(ValueError, match="X must be 2-D"):
        train_val_split(np.zeros(20), np.zeros(20, dtype=int), n_val=5)


def test_missing_shipped_file_says_how_to_restore(shipped_copy, monkeypatch):
    (shipped_copy / "train-images-idx3-ubyte.gz").unlink()
    monkeypatch.setattr(mnist, "SHIPPED_DIR", shipped_copy)
    with pytest.raises(FileNotFoundError,
                       match=r"train-images-idx3-ubyte\.gz' is missing.*git checkout"):
        load_mnist("train")


def test_package_level_exports():
    import course_lib
    assert course_lib.load_mnist is load_mnist and course_lib.one_hot is one_hot
    assert set(mnist.__all__) >= {"load_idx", "load_mnist", "one_hot", "train_val_split",
                                  "DataFileError"}
