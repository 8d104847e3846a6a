"""Mistakes students really make, as replacement answer cells.

The quality gate (``python -m grader check``) and the tests grade each mutant and require that it
loses the points of at least the tests listed in ``must_fail``: a test suite that lets one of
these through is too weak to trust. (``tests/corpora/fairness.py`` holds the finer corpus: correct
variants that must keep every point, and mistakes that must lose exactly their own.)
"""
from __future__ import annotations

from dataclasses import dataclass

from grader.build.submissions import edited_solution


@dataclass(frozen=True)
class Mutant:
    assignment: str
    name: str
    overrides: dict          # grade id of an answer cell -> replacement source (or its maker)
    must_fail: tuple         # grade ids of test cells that must lose their points


MUTANTS = [
    # --- exercise 1 --------------------------------------------------------------------------
    Mutant("ex1_softmax", "sigmoid that overflows at -1000", {"sigmoid": '''
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))
'''}, ("test_sigmoid",)),
    Mutant("ex1_softmax", "sigma' applied to z instead of y", {"sigmoid_grad": '''
def sigmoid_grad(y):
    return sigmoid(y) * (1.0 - sigmoid(y))
'''}, ("test_sigmoid_grad",)),
    Mutant("ex1_softmax", "softmax without the max shift", {"softmax": '''
def softmax(Z):
    e = np.exp(Z)
    return e / np.sum(e, axis=0, keepdims=True)
'''}, ("test_softmax",)),
    Mutant("ex1_softmax", "softmax over the wrong axis", {"softmax": '''
def softmax(Z):
    e = np.exp(Z - np.max(Z, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)
'''}, ("test_softmax",)),
    Mutant("ex1_softmax", "log of the softmax instead of log-sum-exp", {"log_softmax": '''
def log_softmax(Z):
    return np.log(softmax(Z))
'''}, ("test_log_softmax",)),
    Mutant("ex1_softmax", "cross-entropy summed instead of averaged (missing 1/m)", {"cross_entropy": '''
def cross_entropy(Z, T):
    return -np.sum(T * log_softmax(Z))
'''}, ("test_cross_entropy",)),
    Mutant("ex1_softmax", "Jacobian without its diagonal part", {"softmax_jacobian": '''
def softmax_jacobian(z):
    s = softmax(z)
    return -s @ s.T
'''}, ("test_softmax_jacobian",)),
    Mutant("ex1_softmax", "gradient without 1/m", {"cross_entropy_grad": '''
def cross_entropy_grad(Z, T):
    return softmax(Z) - T
'''}, ("test_cross_entropy_grad",)),
    Mutant("ex1_softmax", "gradient T - Y (wrong sign)", {"cross_entropy_grad": '''
def cross_entropy_grad(Z, T):
    return (T - softmax(Z)) / Z.shape[1]
'''}, ("test_cross_entropy_grad",)),
    Mutant("ex1_softmax", "squared error without the 1/2", {"squared_error": '''
def squared_error(Z, T):
    return np.sum((sigmoid(Z) - T) ** 2) / Z.shape[1]
'''}, ("test_squared_error",)),
    Mutant("ex1_softmax", "squared-error delta without sigma' (as if it cancelled as for "
           "cross-entropy)", {"squared_error_grad": '''
def squared_error_grad(Z, T):
    return (sigmoid(Z) - T) / Z.shape[1]
'''}, ("test_squared_error_grad",)),
    Mutant("ex1_softmax", "squared-error delta with sigma' of Z instead of Y", {
        "squared_error_grad": edited_solution(
            "ex1_softmax", "squared_error_grad", ("sigmoid_grad(Y)", "sigmoid_grad(Z)"))},
        ("test_squared_error_grad",)),
    # --- exercise 2 --------------------------------------------------------------------------
    Mutant("ex2_backprop", "softmax over the wrong axis in the forward pass", {"forward": '''
def forward(params, X):
    Y1 = sigmoid(params["W1"] @ X)
    Z2 = params["W2"] @ Y1
    e = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
    return Y1, e / e.sum(axis=1, keepdims=True)
'''}, ("test_forward",)),
    Mutant("ex2_backprop", "weight decay left out of the loss", {"loss": '''
def loss(params, X, T, wd=0.0):
    Z2 = params["W2"] @ sigmoid(params["W1"] @ X)
    return -np.sum(T * log_softmax(Z2)) / X.shape[1]
'''}, ("test_loss",)),
    Mutant("ex2_backprop", "stage 2 with the wrong sign", {"dE_dz2": '''
def dE_dz2(y2, t):
    return (t - y2).T
'''}, ("test_dE_dz2",)),
    Mutant("ex2_backprop", "transposed gradient dE/dW2", {"dE_dW2": '''
def dE_dW2(dE_dz2_row, y1):
    return y1 @ dE_dz2_row
'''}, ("test_dE_dW2",)),
    Mutant("ex2_backprop", "sigma' applied to z instead of y", {"dy1_dz1": '''
def dy1_dz1(y1):
    return np.diagflat(sigmoid(y1) * (1.0 - sigmoid(y1)))
'''}, ("test_dy1_dz1",)),
    Mutant("ex2_backprop", "stage 5 as a vector instead of a diagonal matrix", {"dy1_dz1": '''
def dy1_dz1(y1):
    return y1 * (1.0 - y1)
'''}, ("test_dy1_dz1",)),
    Mutant("ex2_backprop", "transposed gradient dE/dW1", {"dE_dW1": '''
def dE_dW1(dE_dz1_row, x):
    return x @ dE_dz1_row
'''}, ("test_dE_dW1",)),
    Mutant("ex2_backprop", "batch gradient without 1/m", {"batch_gradients": '''
def batch_gradients(params, X, T):
    Y1, Y2 = forward(params, X)
    D2 = Y2 - T
    D1 = (params["W2"].T @ D2) * Y1 * (1.0 - Y1)
    return {"W1": D1 @ X.T, "W2": D2 @ Y1.T}
'''}, ("test_batch_gradients",)),
    Mutant("ex2_backprop", "batch gradient with sigma' of z instead of y", {"batch_gradients": '''
def batch_gradients(params, X, T):
    Y1, Y2 = forward(params, X)
    Z1 = params["W1"] @ X
    D2 = (Y2 - T) / X.shape[1]
    D1 = (params["W2"].T @ D2) * Z1 * (1.0 - Z1)
    return {"W1": D1 @ X.T, "W2": D2 @ Y1.T}
'''}, ("test_batch_gradients",)),
    Mutant("ex2_backprop", "weight decay forgotten", {"add_weight_decay": '''
def add_weight_decay(grads, params, wd):
    return dict(grads)
''', "gradients": '''
def gradients(params, X, T, wd=0.0):
    return batch_gradients(params, X, T)
'''}, ("test_add_weight_decay", "test_gradients")),
    Mutant("ex2_backprop", "weight decay with wd/2 instead of wd", {"add_weight_decay": '''
def add_weight_decay(grads, params, wd):
    return {name: g + wd / 2 * params[name] for name, g in grads.items()}
'''}, ("test_add_weight_decay",)),
    # --- exercise 3 --------------------------------------------------------------------------
    Mutant("ex3_mnist", "prediction over the wrong axis", {"predict": '''
def predict(Y):
    return np.argmax(Y, axis=1)
'''}, ("test_predict",)),
    Mutant("ex3_mnist", "accuracy over the wrong axis", {"accuracy": '''
def accuracy(Y, labels):
    return float(np.mean(np.argmax(Y, axis=1)[:len(labels)] == labels[:Y.shape[0]]))
'''}, ("test_accuracy",)),
    Mutant("ex3_mnist", "momentum step uphill (the gradient added)", {"sgd_momentum_step": '''
def sgd_momentum_step(params, grads, velocity, lr, momentum):
    new_velocity = {name: momentum * velocity[name] + lr * grads[name] for name in params}
    return {name: params[name] + new_velocity[name] for name in params}, new_velocity
'''}, ("test_sgd_momentum_step",)),
    Mutant("ex3_mnist", "minibatches that shuffle X but not T", {"minibatches": '''
def minibatches(X, T, batch_size, rng):
    m = X.shape[1]
    order = rng.permutation(m)
    return [(X[:, order[i:i + batch_size]], T[:, i:i + batch_size]) for i in range(0, m, batch_size)]
'''}, ("test_minibatches",)),
    Mutant("ex3_mnist", "minibatches without shuffling", {"minibatches": '''
def minibatches(X, T, batch_size, rng):
    m = X.shape[1]
    return [(X[:, i:i + batch_size], T[:, i:i + batch_size]) for i in range(0, m, batch_size)]
'''}, ("test_minibatches",)),
    Mutant("ex3_mnist", "learning-rate study with one generator for all six runs", {
        "lr_study": edited_solution(
            "ex3_mnist", "lr_study", ("rng=np.random.default_rng(seed))", "rng=rng)"),
            ("    final_losses, runs = np.zeros",
             "    rng = np.random.default_rng(seed)\n    final_losses, runs = np.zeros"))},
        ("test_lr_study",)),
    Mutant("ex3_mnist", "learning-rate study that reads off the highest loss as the best", {
        "read_lr_study": edited_solution("ex3_mnist", "read_lr_study", ("np.argmin", "np.argmax"))},
        ("test_read_lr_study",)),
    Mutant("ex3_mnist", "early stopping that picks the best epoch of the whole curve", {
        "early_stopping": '''
def early_stopping(val_losses, patience):
    return int(np.argmin(val_losses)) + 1, len(val_losses)
'''}, ("test_early_stopping",)),
    Mutant("ex3_mnist", "early stopping that counts a tie as an improvement", {
        "early_stopping": edited_solution("ex3_mnist", "early_stopping",
                                          ("if loss < lowest:", "if loss <= lowest:"))},
        ("test_early_stopping",)),
    Mutant("ex3_mnist", "early stopping with the patience off by one", {
        "early_stopping": edited_solution("ex3_mnist", "early_stopping",
                                          ("if since == patience:", "if since > patience:"))},
        ("test_early_stopping",)),
    Mutant("ex3_mnist", "softmax regression gradients without 1/m", {
        "softmax_regression_gradients": edited_solution(
            "ex3_mnist", "softmax_regression_gradients", (" / X.shape[1]", ""))},
        ("test_softmax_regression_gradients",)),
    Mutant("ex3_mnist", "softmax regression with b's gradient not summed over the samples", {
        "softmax_regression_gradients": edited_solution(
            "ex3_mnist", "softmax_regression_gradients",
            ('"b": np.sum(D, axis=1, keepdims=True)', '"b": D'))},
        ("test_softmax_regression_gradients",)),
    Mutant("ex3_mnist", "softmax regression with the softmax over the samples", {
        "softmax_regression_gradients": edited_solution(
            "ex3_mnist", "softmax_regression_gradients",
            ('softmax(params["W"] @ X + params["b"])', 'softmax(params["W"] @ X + params["b"], axis=1)'))},
        ("test_softmax_regression_gradients",)),
    # --- exercise 4 --------------------------------------------------------------------------
    Mutant("ex4_deep", "ReLU's derivative taken as 1 at a = 0", {"activation_grad": edited_solution(
        "ex4_deep", "activation_grad", ("(A > 0).astype", "(A >= 0).astype"))},
        ("test_activation_grad",)),
    Mutant("ex4_deep", "output delta without 1/m", {"output_delta": '''
def output_delta(Y, T):
    return Y - T
'''}, ("test_output_delta",)),
    Mutant("ex4_deep", "bias gradient averaged over the batch instead of summed", {
        "layer_gradients": '''
def layer_gradients(D, A_prev):
    return D @ A_prev.T, np.mean(D, axis=1, keepdims=True)
'''}, ("test_layer_gradients",)),
    Mutant("ex4_deep", "backpropagated delta without g'", {"backprop_delta": '''
def backprop_delta(D, W, A_prev, hidden):
    return W.T @ D
'''}, ("test_backprop_delta",)),
    Mutant("ex4_deep", "weight decay on the biases too", {"gradients": edited_solution(
        "ex4_deep", "gradients", ('grads[f"b{l}"] = db', 'grads[f"b{l}"] = db + wd * params[f"b{l}"]'))},
        ("test_gradients",)),
    Mutant("ex4_deep", "gradients that step uphill (Y - T negated)", {"gradients": edited_solution(
        "ex4_deep", "gradients", ("D = output_delta(Y, T)", "D = -output_delta(Y, T)"))},
        ("test_gradients", "test_train_deep")),
    Mutant("ex4_deep", "dropout that keeps a unit with probability 1 - p", {"dropout_forward":
        edited_solution("ex4_deep", "dropout_forward", ("rng.random(A.shape) < p",
                                                        "rng.random(A.shape) < 1 - p"))},
        ("test_dropout_forward",)),
    Mutant("ex4_deep", "dropout without the 1/p scaling", {"dropout_forward": edited_solution(
        "ex4_deep", "dropout_forward", ("return A * mask / p", "return A * mask"))},
        ("test_dropout_forward",)),
    Mutant("ex4_deep", "dropout mask from np.random's global state", {"dropout_forward":
        edited_solution("ex4_deep", "dropout_forward", ("rng.random(A.shape)",
                                                        "np.random.random(A.shape)"))},
        ("test_dropout_forward",)),
    Mutant("ex4_deep", "dropout's backward pass without the 1/p", {"dropout_backward":
        edited_solution("ex4_deep", "dropout_backward", ("return dout * mask / p",
                                                         "return dout * mask"))},
        ("test_dropout_backward",)),
    Mutant("ex4_deep", "max-norm over the columns of W instead of its rows", {"max_norm":
        edited_solution("ex4_deep", "max_norm", ("axis=1", "axis=0"))},
        ("test_max_norm",)),
    Mutant("ex4_deep", "max-norm that scales every row to norm c", {"max_norm":
        edited_solution("ex4_deep", "max_norm", ("np.maximum(norms, c)", "norms"))},
        ("test_max_norm",)),
]


def mutants_of(assignment: str) -> list[Mutant]:
    return [m for m in MUTANTS if m.assignment == assignment]
