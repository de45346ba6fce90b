"""Plain-words explanations of the known mistakes (``closed_form.MISTAKES``), addressed to the student.

``EXPLAIN[(rule, mistake_name)]`` completes the sentence a grade prints when a student's backward behaves exactly
like that mistake: what the function does, and what the handout's derivation asks for instead. A mistake without an
entry falls back to its catalogue description (:func:`explanation`); a test keeps the two lists in step.
"""

from __future__ import annotations

__all__ = ["EXPLAIN", "explanation"]

_MEAN = ("the loss is a MEAN over the batch, so every gradient carries a factor 1/N; your backward leaves it out, "
         "so its gradients are N times too large")

EXPLAIN: dict[tuple[str, str], str] = {
    # dense
    ("linear", "dW_transposed"):
        "Your linear backward returns ∂L/∂W transposed: x·(∂L/∂y)ᵀ instead of (∂L/∂y)·xᵀ. For y = Wx + b (CSC 249 "
        "HW2 P2) ∂L/∂W_ij = ∂L/∂y_i · x_j, an O×L matrix shaped like W.",
    ("linear", "dx_W_not_transposed"):
        "Your linear backward computes ∂L/∂x as W·∂L/∂y; it must be Wᵀ·∂L/∂y (∂L/∂x_j = Σ_i W_ij ∂L/∂y_i: the "
        "gradient flows back through the transpose). The two agree only for a symmetric W.",
    ("linear", "db_mean_over_batch"):
        "Your linear backward AVERAGES ∂L/∂y over the batch columns for ∂L/∂b; the bias is added to every column, "
        "so its gradient is the SUM over the batch.",
    ("linear_rows", "dW_transposed"):
        "Your backward returns ∂L/∂W transposed: Gᵀ·X instead of Xᵀ·G. For Y = XW + b with rows as instances "
        "(EECS 498 HW1 §1.1) ∂L/∂W is d_k × d_o, shaped like W.",
    ("linear_rows", "db_mean_over_batch"):
        "Your backward AVERAGES G over the batch rows for ∂L/∂b; b is added to every row, so ∂L/∂b = Σ_n G_n.",
    ("linear_no_bias", "A_not_transposed"):
        "Your backward computes ∂L/∂x = A·B; CS 4670 PA5 B.1 asks you to show ∂L/∂x = AᵀB (A = W, B = ∂L/∂y): "
        "∂L/∂x_i = Σ_j ∂L/∂y_j W_ji.",
    ("linear_no_bias", "dW_transposed"):
        "Your backward returns ∂L/∂W transposed: x·Bᵀ instead of B·xᵀ (∂L/∂W_ji = ∂L/∂y_j · x_i, shaped like W).",
    # convolution
    ("conv2d", "dw_flipped"):
        "Your conv2d backward returns ∂L/∂w rotated by 180°. The layer is a cross-correlation (CSC 249 HW2 P3), so "
        "∂L/∂w[k,t,m,q] = Σ ∂L/∂y[k,i,j]·x[t, i·s+m, j·s+q] with no flip; the flip belongs to true convolution.",
    ("conv2d", "dx_kernel_not_rotated"):
        "Your conv2d backward computes ∂L/∂x as a full correlation of ∂L/∂y with the kernel as it is, i.e. the "
        "kernel was not flipped: ∂L/∂x is the full correlation with the kernel ROTATED by 180° (equivalently, "
        "scatter ∂L/∂y[k,i,j]·w[k,t,m,q] to x[t, i·s+m, j·s+q]).",
    ("conv2d", "stride_ignored"):
        "Your conv2d backward ignores the stride: it scatters ∂L/∂y to x[t, i+m, j+q] instead of x[t, i·s+m, j·s+q] "
        "(and gathers x the same wrong way for ∂L/∂w). Output (i, j) reads the window starting at (i·s, j·s).",
    ("true_conv_same", "kernel_not_flipped"):
        "Your backward computes ∂L/∂x = ∂L/∂y ⋆ w, without flipping the kernel; CS 4670 PA5 A.1 is "
        "∂L/∂x = ∂L/∂y ⋆ w̃ with w̃[c, d] = w[−c, −d].",
    ("true_conv_same", "x_not_flipped"):
        "Your backward computes ∂L/∂w = ∂L/∂y ⋆ x, without flipping the input; CS 4670 PA5 A.2 is "
        "∂L/∂w = ∂L/∂y ⋆ x̃ with x̃[a, b] = x[−a, −b].",
    ("conv_full_layer", "kernel_flipped"):
        "Your backward flips the kernel: ∂L/∂X = Σ_f ∂L/∂Y *filt rot180(W). With the *full forward of EECS 498 "
        "HW1 §1.5, ∂L/∂X_nc = Σ_f ∂L/∂Y_nf *filt W_fc needs no flip (*filt already reverses *full's indexing).",
    # pooling
    ("max_pool2d", "ties_to_one"):
        "Your max-pool backward routes the gradient of tied maxima to one position only (the first); CSC 249 HW2 P5 "
        "asks that every position attaining the maximum receives it (tie='all'), and tie='split' shares it equally.",
    ("max_pool2d", "ties_to_all"):
        "Your max-pool backward gives the full gradient to every tied maximum whatever tie rule is asked; that is "
        "CSC 249's rule (tie='all'), but tie='first' (PyTorch) sends it to the first maximum only and tie='split' "
        "divides it among the k tied positions.",
    ("max_pool2d", "stride_ignored"):
        "Your max-pool backward places the windows at stride 1: output (i, j) must route its gradient to the "
        "maximum of the window starting at (i·s, j·s), not (i, j).",
    ("max_pool2d", "whole_window"):
        "Your max-pool backward copies ∂L/∂y to every position of the window; only the position(s) holding the "
        "maximum influenced y, so only they receive the gradient (all other positions get 0).",
    ("avg_pool2d", "missing_division"):
        "Your average-pool backward gives each window position the whole ∂L/∂y; y is the MEAN of the window, so "
        "each position receives ∂L/∂y divided by the window size.",
    ("avg_pool2d", "stride_ignored"):
        "Your average-pool backward places the windows at stride 1: output (i, j) averages the window starting at "
        "(i·s, j·s), so that is where its gradient goes.",
    # activations
    ("relu", "one_at_zero"):
        "Your ReLU backward passes the gradient where x = 0 (relu'(0) = 1); the convention here, as in PyTorch and "
        "EECS 498 HW1 §1.2 (1[X > 0]), is relu'(0) = 0.",
    ("relu", "mask_from_gradient"):
        "Your ReLU backward applies the ReLU to the upstream gradient (keeps ∂L/∂y where ∂L/∂y > 0); the mask "
        "must come from the INPUT: ∂L/∂X = ∂L/∂Y ⊙ 1[X > 0].",
    ("leaky_relu", "slope_forgotten"):
        "Your leaky-ReLU backward sends 0 back where x ≤ 0, like a plain ReLU; the leaky ReLU has slope 'slope' "
        "there, so ∂L/∂x = slope·∂L/∂y (EN4553 A2 Q1(c): 0.1·∂L/∂y).",
    ("leaky_relu", "slope_wrong_side"):
        "Your leaky-ReLU backward multiplies by the slope on the POSITIVE side; it is 1 for x > 0 and 'slope' for "
        "x ≤ 0.",
    ("prelu", "dalpha_all_inputs"):
        "Your PReLU backward sums ∂L/∂v·x over ALL inputs for ∂L/∂α; α only multiplies the negative inputs, so "
        "∂L/∂α = Σ_{x<0} ∂L/∂v·x (EN4553 A2 Q1(d)).",
    ("prelu", "dalpha_uses_alpha"):
        "Your PReLU backward sums ∂L/∂v·α for ∂L/∂α; ∂(αx)/∂α = x, so ∂L/∂α = Σ_{x<0} ∂L/∂v·x (EN4553 A2 Q1(d)).",
    ("tanh", "uses_input"):
        "Your tanh backward uses 1 − z² with z the INPUT; Tsinghua HW1 §1.1 derives dy/dz = 1 − y² with y = tanh(z), "
        "the output.",
    ("tanh", "missing_square"):
        "Your tanh backward uses 1 − y; the derivative is 1 − y² (y = tanh z).",
    ("sigmoid", "uses_input"):
        "Your sigmoid backward uses z(1 − z) with z the INPUT; the derivative is σ(z)(1 − σ(z)), written with the "
        "output.",
    ("dropout", "mask_not_applied"):
        "Your dropout backward passes ∂L/∂Y straight through; dropped units did not influence Y, so "
        "∂L/∂X = ∂L/∂Y ⊙ M (EECS 498 HW1 §1.3), scaled by 1/(1 − p) for inverted dropout.",
    ("dropout", "inverted_scale_forgotten"):
        "Your dropout backward leaves out the 1/(1 − p) of inverted dropout: the forward multiplies by M/(1 − p), "
        "so the backward must too.",
    ("dropout", "scale_multiplied"):
        "Your dropout backward multiplies by (1 − p) in inverted dropout; the forward DIVIDES by (1 − p), so the "
        "backward is ∂L/∂Y ⊙ M/(1 − p).",
    # batch norm
    ("batch_norm", "stats_treated_as_constants"):
        "Your batch-norm backward treats the batch mean and variance as constants (∂L/∂x = γg/σ); they depend on "
        "every x in the batch, which adds −Σg and −x̂·Σ(g x̂) terms: ∂L/∂x = γ/(m σ)(m g − Σg − x̂ Σ g x̂).",
    ("batch_norm", "mean_path_forgotten"):
        "Your batch-norm backward leaves out the path through the mean μ (the −Σg term): "
        "∂L/∂x = γ/(m σ)(m g − Σg − x̂ Σ g x̂).",
    ("batch_norm", "dgamma_without_xhat"):
        "Your batch-norm backward computes ∂L/∂γ = Σ g; γ multiplies x̂, so ∂L/∂γ = Σ g ⊙ x̂.",
    ("batch_norm_one_sigma", "sigma_constant"):
        "Your backward treats σ as a constant; σ = √(Σ_j ||X_j − μ||² + ε) depends on every X_i "
        "(∂σ/∂X_i = (X_i − μ)/σ, EECS 498 HW1 §1.4), which adds −(X_i − μ) Σ_j⟨G_j, X_j − μ⟩/σ³.",
    ("batch_norm_one_sigma", "mean_constant"):
        "Your backward treats μ as a constant; ∂μ/∂X_i = (1/n) I (EECS 498 HW1 §1.4) gives the −mean(G)/σ term.",
    ("batch_norm_one_sigma", "sigma_with_1_over_n"):
        "Your backward computes σ with the usual 1/n (a standard deviation); the handout defines "
        "σ = √(Σ_j ||X_j − μ||² + ε) WITHOUT 1/n.",
    # softmax family
    ("softmax", "diagonal_only"):
        "Your softmax backward keeps only the diagonal of the Jacobian (g ⊙ p(1 − p)); every p_k depends on every "
        "z_i (∂p_k/∂z_i = p_k(δ_ki − p_i)), so ∂L/∂z = p ⊙ (g − Σ_k g_k p_k).",
    ("softmax", "missing_p_factor"):
        "Your softmax backward returns g − Σ_k g_k p_k without the leading p ⊙: ∂L/∂z = p ⊙ (g − Σ_k g_k p_k).",
    ("log_softmax", "missing_softmax_term"):
        "Your log-softmax backward returns ∂L/∂z = g; the normaliser log Σ e^z depends on every z, which adds "
        "−p Σ g: ∂L/∂z = g − p Σ_k g_k.",
    ("cross_entropy", "missing_1_over_N"): "Your cross-entropy backward misses the 1/N: " + _MEAN + ".",
    ("cross_entropy", "sign_flipped"):
        "Your cross-entropy backward has the wrong sign: ∂L/∂s = p − t (CSC 249 HW2 P1: p_i − 1 at the label, p_i "
        "elsewhere), not t − p.",
    ("cross_entropy", "forgot_minus_one"):
        "Your cross-entropy backward returns p; at the ground-truth class the derivative of −log p_gt is p_gt − 1, "
        "so ∂L/∂s = p − t.",
    ("nll", "missing_1_over_N"): "Your NLL backward misses the 1/N: " + _MEAN + ".",
    ("nll", "sign_flipped"):
        "Your NLL backward has the wrong sign: L = −(1/N) Σ logp[n, y_n], so ∂L/∂logp = −1/N at the label.",
    ("logistic_loss", "missing_1_over_N"): "Your logistic-loss backward misses the 1/N: " + _MEAN + ".",
    ("logistic_loss", "sign_flipped"):
        "Your logistic-loss backward has the wrong sign: ∂L/∂s = (σ(s) − y)/N (EECS 498 HW1 §2), not y − σ(s).",
    ("hinge_loss", "missing_1_over_N"): "Your hinge-loss backward misses the 1/N: " + _MEAN + ".",
    ("hinge_loss", "label_ignored"):
        "Your hinge-loss backward uses −1 on the active margins; ∂ max(0, 1 − y s)/∂s = −y there (EECS 498 HW1 §3), "
        "so the label's sign matters.",
    ("multi_margin_loss", "missing_1_over_N"): "Your multiclass-SVM backward misses the 1/N: " + _MEAN + ".",
    ("multi_margin_loss", "correct_class_not_updated"):
        "Your multiclass-SVM backward leaves the correct class at 0; s_y appears in every margin, so its gradient "
        "is −(number of active margins)/N.",
    ("mse_loss", "missing_1_over_N"):
        "Your MSE backward misses the 1/size of the mean: the loss averages over all elements, so "
        "∂L/∂y = 2(y − t)/size.",
    ("mse_loss", "sign_flipped"): "Your MSE backward has the wrong sign: ∂(y − t)²/∂y = 2(y − t), not 2(t − y).",
    ("mse_loss", "missing_factor_2"):
        "Your MSE backward drops the factor 2: ∂(y − t)²/∂y = 2(y − t) (only ½(y − t)², EN4553 A2 Q1(a)'s form, "
        "gives y − t).",
    ("weight_decay", "half_mishandled"):
        "Your weight-decay backward mixes up the ½: ∂(½λ||W||²)/∂W = λW, while ∂(λ||W||²)/∂W = 2λW.",
}


def explanation(rule: str, name: str, description: str) -> str:
    """The plain-words sentence for mistake ``name`` of ``rule`` (its catalogue description if none is written)."""
    text = EXPLAIN.get((rule, name))
    return text if text is not None else f"Your {rule} backward matches a known mistake: {description}."
