"""The text store of WGAN-GP's language model (Table 4): Billion Word lines as uint16 N×32 `tokens.npy`, the
symbol of each index in `vocab.json`, and `manifest.json` with both files' sha256, written last.

The preparation rules are those of the official `language_helpers.load_dataset` (spec/wgangp.md §3.6):
- the first `max_lines` lines of `training-monolingual.tokenized.shuffled/news.en-00001…00099-of-00100`, in order;
  each loses its newline only (no other stripping), is cut to 32 symbols and right-padded with the backtick '`';
- a symbol is a byte: the official script is Python 2 and reads the files as byte strings, so a non-ASCII
  character is 2–4 symbols and the cut may split it. vocab.json holds byte b as chr(b) (Latin-1), so every symbol
  is one character of a JSON string; `to_text` turns a decoded line back into UTF-8 text;
- vocabulary: 'unk' at index 0, then the max_vocab_size − 1 (2047) symbols most frequent in the padded lines (the
  padding counts), most frequent first; every other symbol becomes 'unk'. With bytes there are at most 256
  symbols, so the official vocabulary never fills and 'unk' never occurs in Billion Word;
- ties: the official `Counter.most_common` under Python 2 orders equal counts by dict hash order (arbitrary); ours
  puts the lower byte value first, which depends on neither the line order nor the Python version;
- order: the official code shuffles the lines once with unseeded `np.random.shuffle` (before counting, which the
  counts do not depend on); ours shuffles with `numpy.random.default_rng(shuffle_seed)`, recorded in the manifest.
  gan_language.py then reshuffles every epoch and takes the first 640 lines as its n-gram validation set.
"""

import functools
import hashlib
import json
import platform
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

import repro
from repro import atomic, lock
from repro.data.store import STORE_FILES, claim, sha256_file, verify_store
from repro.errors import DataError

SEQ_LEN = 32
PAD = "`"
UNK = "unk"
MAX_VOCAB_SIZE = 2048
MAX_N_EXAMPLES = 10_000_000  # gan_language.py's MAX_N_EXAMPLES
BILLION_WORD_FILES = tuple(f"training-monolingual.tokenized.shuffled/news.en-{i:05d}-of-00100" for i in range(1, 100))
GET_BILLION_WORD = "`python -m repro download billion-word --out DIR` fetches and unpacks it"
BUILTIN_SOURCE = f"pydoc_data.topics of Python {platform.python_version()}"
BUILTIN = "python-help-text"  # the source name of those sentences encoded in memory (`builtin_store`)
TEXT_FILES = ("tokens.npy", "vocab.json")  # hashed in the manifest under "<stem>_sha256"


@dataclass(frozen=True)
class TextStore:
    tokens: np.ndarray  # uint16 [N, seq_len], memory-mapped, rows in the stored (shuffled) order
    vocab: list[str]  # the symbol of each index; vocab[0] == 'unk'
    manifest: dict


def pad_lines(lines: Iterable[bytes | str], seq_len: int = SEQ_LEN) -> np.ndarray:
    """Lines (str as UTF-8) → byte values uint8 [N, seq_len]: cut to seq_len bytes, right-padded with '`'."""
    buffer = bytearray()
    for line in lines:
        line = line.encode() if isinstance(line, str) else line
        buffer += line[:seq_len].ljust(seq_len, PAD.encode())
    return np.frombuffer(bytes(buffer), dtype=np.uint8).reshape(-1, seq_len)


def build_vocab(padded: np.ndarray, max_vocab_size: int = MAX_VOCAB_SIZE) -> list[str]:
    """['unk'] + the max_vocab_size − 1 most frequent bytes of `padded`, most frequent first, equal counts by
    byte value; byte b is the symbol chr(b)."""
    counts = np.bincount(padded.ravel(), minlength=256)
    ranked = sorted((b for b in range(256) if counts[b]), key=lambda b: (-counts[b], b))
    return [UNK] + [chr(b) for b in ranked[:max_vocab_size - 1]]


def encode(padded: np.ndarray, vocab: Sequence[str]) -> np.ndarray:
    """Byte values [N, L] → vocabulary indices uint16 [N, L]; a byte outside the vocabulary → 0 ('unk')."""
    index = np.zeros(256, dtype=np.uint16)
    for i, symbol in enumerate(vocab[1:], start=1):
        index[ord(symbol)] = i
    return index[padded]


def decode(tokens: np.ndarray, vocab: Sequence[str]) -> list[tuple[str, ...]]:
    """Indices [N, L] → one tuple of symbols per line, as gan_language.py decodes samples ('unk' one symbol):
    what the n-gram statistics (repro.metrics.ngram) count."""
    return [tuple(vocab[i] for i in row) for row in np.asarray(tokens).tolist()]


def to_text(symbols: Sequence[str]) -> str:
    """A decoded line as readable text: its bytes as UTF-8 (a cut character shows as �), 'unk' as the word."""
    return "".join(symbols).encode("latin-1").decode("utf-8", errors="replace")


def read_billion_word(root_or_files: Path | str | Sequence[Path | str], max_lines: int,
                      quiet: bool = False) -> Iterator[bytes]:
    """The first `max_lines` lines of the benchmark's 99 training files (or of `root_or_files` when it is a list
    of files), in order, without their newlines."""
    if isinstance(root_or_files, (str, Path)):
        files = [Path(root_or_files) / name for name in BILLION_WORD_FILES]
    else:
        files = [Path(f) for f in root_or_files]
    remaining = max_lines
    for path in files:
        if remaining <= 0:
            return
        if not quiet:
            print(f"reading {path}")
        try:
            with open(path, "rb") as f:
                for line in f:
                    yield line.removesuffix(b"\n")
                    remaining -= 1
                    if remaining == 0:
                        return
        except OSError as e:
            raise DataError(f"{path}: cannot read a Billion Word training file ({e.strerror}); point --root at the "
                            f"extracted 1-billion-word-language-modeling-benchmark-r13output ({GET_BILLION_WORD})") \
                from None


def builtin_sentences() -> list[str]:
    """English sentences that ship with Python: the prose paragraphs of the `pydoc_data.topics` help texts (topics
    in sorted order; headings and indented code skipped), split after '.', '!' or '?'; ASCII only."""
    from pydoc_data.topics import topics

    sentences = []
    for name in sorted(topics):
        for paragraph in re.split(r"\n\s*\n", topics[name]):
            if not paragraph.strip() or paragraph[0].isspace() or re.fullmatch(r"[^\n]*\n[*=\-^~]+\s*", paragraph):
                continue
            for sentence in re.split(r"(?<=[.!?])\s+", " ".join(paragraph.split())):
                if sentence and sentence.isascii():
                    sentences.append(sentence)
    return sentences


def encode_lines(lines: Iterable[bytes | str], seq_len: int = SEQ_LEN, max_vocab_size: int = MAX_VOCAB_SIZE,
                 shuffle_seed: int = 0, source: str = "the text") -> tuple[np.ndarray, list[str]]:
    """`lines` padded, shuffled and encoded by the rules above: (uint16 tokens [N, seq_len], vocabulary)."""
    padded = pad_lines(lines, seq_len)
    if len(padded) == 0:
        raise DataError(f"{source}: no lines to store")
    padded = padded[np.random.default_rng(shuffle_seed).permutation(len(padded))]
    vocab = build_vocab(padded, max_vocab_size)
    return encode(padded, vocab), vocab


@functools.cache
def builtin_store() -> TextStore:
    """The source `python-help-text`: `builtin_sentences()` encoded in memory once per process, the offline stand-in
    a profile names without preparing a store (like `mnist-bundled`); `prepare billion-word --builtin` writes the
    same tokens to disk."""
    tokens, vocab = encode_lines(builtin_sentences(), source=BUILTIN_SOURCE)
    tokens.flags.writeable = False  # shared by every caller
    manifest = {"source": BUILTIN_SOURCE, "count": len(tokens), "seq_len": SEQ_LEN, "vocab_size": len(vocab),
                "tokens_sha256": hashlib.sha256(tokens.tobytes()).hexdigest()}
    return TextStore(tokens, vocab, manifest)


def write_text_store(out: Path | str, lines: Iterable[bytes | str], manifest: dict, seq_len: int = SEQ_LEN,
                     max_vocab_size: int = MAX_VOCAB_SIZE, shuffle_seed: int = 0) -> dict:
    """Pads, shuffles and encodes `lines` (the rules above) into `out`; `manifest` adds what the source was.
    The old manifest (and any image-store files) go first and the new manifest last, so a killed write never
    leaves a store that looks complete."""
    out = Path(out)
    for name in STORE_FILES:
        (out / name).unlink(missing_ok=True)
    tokens, vocab = encode_lines(lines, seq_len, max_vocab_size, shuffle_seed, manifest.get("source", str(out)))
    with atomic.atomic_path(out / "tokens.npy") as tmp:
        np.save(tmp, tokens)
    atomic.write_text(out / "vocab.json", json.dumps(vocab) + "\n")
    manifest = {**manifest, "count": len(tokens), "seq_len": seq_len, "vocab_size": len(vocab),
                "max_vocab_size": max_vocab_size, "shuffle_seed": shuffle_seed, "unit": "byte", "pad": PAD,
                "unk": UNK, "dtype": "uint16",
                **{f"{Path(name).stem}_sha256": sha256_file(out / name) for name in TEXT_FILES},
                "versions": {"repro": repro.__version__, "numpy": np.__version__},
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    atomic.write_json(out / "manifest.json", manifest)
    return manifest


def rebuild_command(directory: Path, manifest: dict) -> str:
    option = manifest.get("source_option") or "--root DIR|--text FILE|--builtin"
    max_lines = f" --max-lines {manifest['max_lines']}" if manifest.get("max_lines") else ""
    return f"`python -m repro prepare billion-word {option}{max_lines} --out {directory} --overwrite`"


def open_text_store(path: Path | str) -> TextStore:
    """The store at `path` once its files match the sha256 in its manifest (hashed once per size and mtime, as an
    image store: repro.data.store.verify_store), or the in-memory `python-help-text`."""
    if str(path) == BUILTIN:
        return builtin_store()
    path = Path(path)
    try:
        manifest = json.loads((path / "manifest.json").read_text())
    except (OSError, ValueError):
        raise DataError(f"{path}: text store not found or incomplete (no readable manifest.json); build it with "
                        f"{rebuild_command(path, {})}") from None
    if any(f"{Path(name).stem}_sha256" not in manifest for name in TEXT_FILES):
        raise DataError(f"{path}: holds another kind of store, not a text store; build one with "
                        f"{rebuild_command(path, {})}")
    verify_store(path, manifest, {name: f"{Path(name).stem}_sha256" for name in TEXT_FILES},
                 rebuild_command(path, manifest))
    tokens = np.load(path / "tokens.npy", mmap_mode="r")
    vocab = json.loads((path / "vocab.json").read_text())
    if tokens.dtype != np.uint16 or tokens.shape != (manifest["count"], manifest["seq_len"]):
        raise DataError(f"{path / 'tokens.npy'}: expected uint16 {manifest['count']}×{manifest['seq_len']}, found "
                        f"{tokens.dtype} {tokens.shape}; rebuild the store with {rebuild_command(path, manifest)}")
    return TextStore(tokens, vocab, manifest)


def _prepare(out: Path | str, lines: Iterable[bytes | str], identity: dict, seq_len: int, max_vocab_size: int,
             shuffle_seed: int, overwrite: bool) -> dict | None:
    """Under `out`'s lock, unless it already holds this store: the store of `lines` (None when already there)."""
    out = Path(out)
    identity = {"dataset": "billion-word", **identity, "seq_len": seq_len, "max_vocab_size": max_vocab_size,
                "shuffle_seed": shuffle_seed}
    with lock.exclusive(out, "prepares a store there"):
        if not claim(out, {"": identity}, overwrite):
            print(f"{out}: already prepared ({identity['source']}); --overwrite rebuilds it")
            return None
        manifest = write_text_store(out, lines, identity, seq_len, max_vocab_size, shuffle_seed)
    print(f"{out}: {manifest['count']:,} lines of {seq_len} symbols, vocabulary {manifest['vocab_size']}, "
          f"tokens sha256 {manifest['tokens_sha256'][:12]}…")
    return manifest


def prepare_billion_word(root_or_files: Path | str | Sequence[Path | str], out: Path | str,
                         max_lines: int = MAX_N_EXAMPLES, seq_len: int = SEQ_LEN, max_vocab_size: int = MAX_VOCAB_SIZE,
                         shuffle_seed: int = 0, overwrite: bool = False, quiet: bool = False) -> dict | None:
    """A text store from the extracted benchmark folder (or its training files, in order): the official data."""
    if isinstance(root_or_files, (str, Path)):
        root = Path(root_or_files).resolve()
        if not (root / BILLION_WORD_FILES[0]).is_file():
            raise DataError(f"{root}: no {BILLION_WORD_FILES[0]}; point --root at the extracted "
                            f"1-billion-word-language-modeling-benchmark-r13output ({GET_BILLION_WORD})")
        source, option = str(root), f"--root {root}"
    else:
        root = [Path(f).resolve() for f in root_or_files]
        source, option = ", ".join(map(str, root)), None
    identity = {"source": source, "source_option": option, "max_lines": max_lines}
    return _prepare(out, read_billion_word(root, max_lines, quiet), identity, seq_len, max_vocab_size,
                    shuffle_seed, overwrite)


def prepare_text_file(path_or_lines: Path | str | Iterable[str], out: Path | str, max_lines: int = MAX_N_EXAMPLES,
                      seq_len: int = SEQ_LEN, max_vocab_size: int = MAX_VOCAB_SIZE, shuffle_seed: int = 0,
                      overwrite: bool = False, source: str | None = None) -> dict | None:
    """A text store from any corpus with one sentence per line (a file, read as bytes like the official code), or
    from lines in memory described by `source`, under the Billion Word rules."""
    if isinstance(path_or_lines, (str, Path)):
        path = Path(path_or_lines).resolve()
        try:
            lines = path.read_bytes().split(b"\n")
        except OSError as e:
            raise DataError(f"{path}: cannot read the text corpus ({e.strerror})") from None
        lines = lines[:-1] if lines and lines[-1] == b"" else lines
        source, option = str(path), f"--text {path}"
    else:
        lines, option = list(path_or_lines), "--builtin" if source == BUILTIN_SOURCE else None
    identity = {"source": source or "lines in memory", "source_option": option, "max_lines": max_lines}
    return _prepare(out, lines[:max_lines], identity, seq_len, max_vocab_size, shuffle_seed, overwrite)


def prepare_builtin(out: Path | str, max_lines: int = MAX_N_EXAMPLES, overwrite: bool = False) -> dict | None:
    """The offline stand-in for Billion Word: `builtin_sentences()` under the same rules."""
    return prepare_text_file(builtin_sentences(), out, max_lines, overwrite=overwrite, source=BUILTIN_SOURCE)
