"""The model and its engines: the hidden manifold model (inputs, folding and activation functions,
teacher and student weights, order parameters), online SGD, the ODE of the order parameters and its
Gaussian integrals, the pseudo-real data fit; plus the services every layer uses (paths, parameter
validation, device choice, the result cache). Imports nothing from the layers above."""
