"""The primitive set, one module per family, every rule beside its primitive.

Families, each importing only those before it:

- ``_util``: zero derivatives, and the batching rules shared by families;
- ``shape``: reshape, transpose;
- ``broadcasting``: broadcast_to and reduce_sum (each the other's transpose);
- ``joining``: concatenate/stack and split;
- ``elementwise``: the family's constructors, arithmetic, complex parts,
  casts, select, comparisons and logic;
- ``math_functions``: NumPy's math functions (powers, exponentials, trigonometry, ...);
- ``indexing``: getitem (gather), scatter_add, scatter;
- ``cumulative``: cumsum, cumprod;
- ``reductions``: max, min, prod, argmax, argmin;
- ``sorting``: sort, argsort;
- ``products``: matmul, einsum;
- ``linear_systems``: solve, inv, slogdet;
- ``decompositions``: cholesky, triangular_solve, eigh, eig, svd, qr, lu;
- ``matrix_functions``: expm, sqrtm;
- ``fft``: the discrete Fourier transforms;
- ``convolution``: N-d convolution and correlation;
- ``special``: SciPy's special functions.

The call primitives (custom rules, checkpoint) live beside the transforms
that define them, in ``fntrans.custom`` and ``fntrans.checkpointing``.
"""
