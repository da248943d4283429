"""Build the tokenizer's optional C accelerators; everything else is configured in pyproject.toml.

Each extension is ``optional``: where no C compiler is found, ``pip install`` still succeeds and the
tokenizer runs its pure-Python code (the same results, slower). ``course doctor`` says which is in
use. ``python setup.py build_ext --inplace`` rebuilds them in a checkout.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "course_lib.tokenization._fast_encode",
            ["course_lib/tokenization/_fast_encode.c"],
            optional=True,
        ),
        Extension(
            "course_lib.tokenization._fast_train",
            ["course_lib/tokenization/_fast_train.c"],
            optional=True,
        ),
    ]
)
