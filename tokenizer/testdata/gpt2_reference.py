"""Reference GPT-2 encoder (OpenAI's encoder.py, re-typed) used to produce
the golden values in golden.json. Needs the `regex` module.

    python3 gpt2_reference.py ../../../shared/tokenizer/gpt2 ../../../shared/text/wikitext2_valid.txt > golden.json
"""
import hashlib, json, sys
from functools import lru_cache
import regex as re


@lru_cache()
def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, [chr(n) for n in cs]))


def get_pairs(word):
    pairs = set()
    prev = word[0]
    for ch in word[1:]:
        pairs.add((prev, ch))
        prev = ch
    return pairs


class Encoder:
    def __init__(self, encoder, bpe_merges):
        self.encoder = encoder
        self.byte_encoder = bytes_to_unicode()
        self.bpe_ranks = dict(zip(bpe_merges, range(len(bpe_merges))))
        self.cache = {}
        self.pat = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token)
        pairs = get_pairs(word)
        if not pairs:
            return token
        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                    new_word.extend(word[i:j])
                    i = j
                except ValueError:
                    new_word.extend(word[i:])
                    break
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = get_pairs(word)
        word = " ".join(word)
        self.cache[token] = word
        return word

    def encode(self, text):
        bpe_tokens = []
        for token in re.findall(self.pat, text):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            bpe_tokens.extend(self.encoder[t] for t in self.bpe(token).split(" "))
        return bpe_tokens


def main():
    d, textfile = sys.argv[1], sys.argv[2]
    with open(d + "/vocab.json") as f:
        encoder = json.load(f)
    with open(d + "/merges.txt", encoding="utf-8") as f:
        bpe_data = f.read()
    merges = [tuple(m.split()) for m in bpe_data.split("\n")[1:-1]]
    enc = Encoder(encoder, merges)
    strings = [
        "Hello world", " the", "the", "Hello, world! It's 2024.", "I'll've we'd they're", "'S 'Ll ''s",
        "  two  spaces   three\n\nnewlines\t\ttabs \n end ", "trailing   ", "\n", " ", "",
        "naïve café — “quotes” … 日本語のテキスト 한국어 Ελληνικά русский 🙂👍🏽 emoji",
        "x\u00a0y\u2028z\u3000w", "12345 67.8 ½ ⅷ ٣", "<|endoftext|>", "$$$ !!! ??? ...", " \n \n  x",
    ]
    with open(textfile, encoding="utf-8") as f:
        full = f.read()
    ids = enc.encode(full)
    h = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()
    out = {
        "strings": [{"text": s, "ids": enc.encode(s)} for s in strings],
        "wikitext2_valid": {"num_ids": len(ids), "sha256_of_comma_joined_ids": h, "first_100": ids[:100]},
    }
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)


main()
