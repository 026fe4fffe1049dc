"""The rules of the party's money, one small pure function each, the clause in the docstring."""
