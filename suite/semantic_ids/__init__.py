"""Semantic IDs as the methods use them: codes made unique (`assembly`), their token
vocabulary (`vocabulary`) and the index of valid IDs that constrained decoding walks (`trie`)."""
