"""Models the Python peers load from files the project ships, never from a download."""


def cl100k_encoding(bpe_path):
    """tiktoken's own cl100k_base definition (regex, special tokens) with its BPE file read from
    bpe_path, written from our tokenizer's ranks by bench/tiktoken-file.ts. tiktoken's expected
    hash is still checked, so the ranks are proven identical to the ones it would fetch."""
    import tiktoken
    import tiktoken.load
    import tiktoken_ext.openai_public as openai_public

    openai_public.load_tiktoken_bpe = lambda _url, expected_hash=None: tiktoken.load.load_tiktoken_bpe(bpe_path, expected_hash=expected_hash)
    return tiktoken.Encoding(**openai_public.cl100k_base())
