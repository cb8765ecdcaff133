"""Compatibility layers: other libraries' APIs over fntrans's transforms.

``fntrans.compat.autograd`` is HIPS/autograd's API, so that autograd code
runs after changing only its imports:

>>> import fntrans.compat.autograd as autograd
>>> import fntrans.compat.autograd.numpy as np
>>> print(autograd.grad(lambda x: np.sin(x) * x)(1.0))
1.3817732906760363
"""
