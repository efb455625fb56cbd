"""govnlp inside other engines: Hugging Face ``datasets`` (:mod:`.datasets`, the ``datasets``
extra) and Ray Data (:mod:`.ray`, the ``ray`` extra). Each module imports its engine lazily and
says which extra to install when it is missing.
"""
