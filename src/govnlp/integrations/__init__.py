"""govnlp inside other engines: Hugging Face ``datasets`` (:mod:`.datasets`, the ``datasets``
extra). Each module imports its engine lazily and says which extra to install when it is missing.
"""
