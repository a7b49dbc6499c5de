"""What the book measures on the engines' output: KL divergences, tLog-RMSE, the lemma checks, Gaussian
equivalence of the order parameters, ODE-against-SGD comparisons and excess over the Gaussian floor, and the
paper's own tables. Imports only ``lib.core``."""
