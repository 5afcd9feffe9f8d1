"""WGAN-GP's language model (Table 4): the gan_language.py nets and the Billion Word text store."""

import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from repro.data import text
from repro.data.sampler import one_hot
from repro.errors import DataError
from repro.nets import tflib
from repro.nets.language import LanguageCritic, LanguageGenerator, ResBlock1d
from repro.objectives import gradient_penalty
from tests.conftest import repro_cli


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.fixture(scope="module")
def paper_generator():
    torch.manual_seed(0)
    return LanguageGenerator(nz=128, dim=512, seq_len=32, vocab=2048)


def test_parameter_counts_at_the_papers_size(paper_generator):
    # G: Linear 128→512·32:      128·16384 + 16384                 =  2,113,536
    #    10 Conv1d k=5 512→512:  10·(5·512·512 + 512) = 10·1,311,232 = 13,112,320
    #    1×1 Conv1d 512→2048:    512·2048 + 2048                   =  1,050,624   → 16,276,480
    # D: 1×1 Conv1d 2048→512:    2048·512 + 512                    =  1,049,088
    #    10 Conv1d k=5 512→512:                                       13,112,320
    #    Linear 512·32→1:        16384 + 1                         =     16,385   → 14,177,793
    assert n_params(paper_generator) == 16_276_480
    assert n_params(LanguageCritic(dim=512, seq_len=32, vocab=2048)) == 14_177_793


def test_parameter_counts_at_a_small_size():
    # nz 4, dim 8, seq_len 6, V 5. G: Linear 4·48 + 48 = 240; 10 convs of 5·8·8 + 8 = 328 → 3280; 1×1 8·5 + 5 = 45
    # → 3565. D: 1×1 5·8 + 8 = 48; 3280; Linear 48 + 1 = 49 → 3377.
    assert n_params(LanguageGenerator(nz=4, dim=8, seq_len=6, vocab=5)) == 3565
    assert n_params(LanguageCritic(dim=8, seq_len=6, vocab=5)) == 3377


@pytest.mark.parametrize("layer, std", [
    ("blocks.0.branch.1.conv.weight", math.sqrt(4 / (512 * 5 + 512 * 5))),  # Conv1D he_init, fans C·k
    ("output.conv.weight", math.sqrt(4 / (512 * 1 + 2048 * 1))),  # the 1×1 output conv is he_init too
    ("input.weight", math.sqrt(2 / (128 + 16384)))])  # Linear: Glorot
def test_initial_weights_are_tflib_uniform(paper_generator, layer, std):
    weights = dict(paper_generator.named_parameters())[layer].detach()
    assert weights.abs().max() <= math.sqrt(3) * std
    assert weights.std().item() == pytest.approx(std, rel=0.01)
    assert not dict(paper_generator.named_parameters())[layer.replace("weight", "bias")].any()


def test_conv1d_pads_like_tf_same():
    conv = tflib.Conv1d(1, 1, 5)
    nn.init.ones_(conv.conv.weight)
    # 2 zeros each side: windows over six ones hold 3, 4, 5, 5, 4, 3 of them
    assert conv(torch.ones(1, 1, 6)).flatten().tolist() == [3, 4, 5, 5, 4, 3]


def test_residual_branch_is_added_at_three_tenths():
    block = ResBlock1d(4)
    nn.init.zeros_(block.branch[3].conv.weight)
    nn.init.ones_(block.branch[3].conv.bias)  # branch ≡ 1
    x = torch.randn(2, 4, 7)
    assert torch.allclose(block(x), x + 0.3)


def test_generator_emits_a_distribution_per_position_and_the_critic_one_score_per_sequence():
    generator = LanguageGenerator(nz=16, dim=8, seq_len=32, vocab=11)
    critic = LanguageCritic(dim=8, seq_len=32, vocab=11)
    fake = generator(torch.randn(3, 16))
    assert fake.shape == (3, 11, 32)
    assert torch.allclose(fake.sum(1), torch.ones(3, 32))
    assert critic(fake).shape == (3,)
    real = one_hot(torch.tensor([[2, 0, 10] + [1] * 29]), 11)
    assert real.shape == (1, 11, 32) and real[0, 10, 2] == 1 and real.sum() == 32
    assert critic(real).shape == (1,)


def test_gradient_penalty_norm_spans_vocabulary_and_positions():
    # f(x) = Σ w·x over [V=2, L=3]: ∇f = w for every sample; ‖w‖ = √(1 + 4 + 0 + 0 + 4 + 16) = 5; (5 − 1)² = 16
    w = torch.tensor([[1.0, 2.0, 0.0], [0.0, 2.0, 4.0]])
    critic = lambda x: (w * x).sum(dim=(1, 2))  # noqa: E731
    real, fake = torch.rand(4, 2, 3), torch.rand(4, 2, 3)
    assert gradient_penalty(critic, real, fake, torch.Generator().manual_seed(0)).item() == pytest.approx(16.0)


def test_vocabulary_is_the_most_frequent_bytes_after_cutting_and_padding():
    # seq_len 4: "ba``", "ab``", "zzzz" (cut from 7 z's) → '`' 4, 'z' 4, 'a' 2, 'b' 2
    padded = text.pad_lines(["ba", "ab", "zzzzzzz"], seq_len=4)
    assert [bytes(row) for row in padded] == [b"ba``", b"ab``", b"zzzz"]
    vocab = text.build_vocab(padded, max_vocab_size=3)
    assert vocab == ["unk", "`", "z"]  # equal counts: the lower byte first ('`' 0x60 < 'z' 0x7a); 'unk' at 0
    assert text.encode(padded, vocab).tolist() == [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 2, 2]]  # a, b → unk
    assert text.build_vocab(padded, max_vocab_size=4) == ["unk", "`", "z", "a"]  # 'a' beats 'b' on the tie
    assert text.decode([[0, 2, 1]], vocab) == [("unk", "z", "`")]


def test_a_symbol_is_a_byte_as_in_the_python2_script():
    padded = text.pad_lines(["é!"], seq_len=4)  # 'é' is two UTF-8 bytes
    assert padded.tolist() == [[0xC3, 0xA9, ord("!"), ord("`")]]
    vocab = text.build_vocab(padded)
    assert len(vocab) == 5 and text.to_text(text.decode(text.encode(padded, vocab), vocab)[0]) == "é!`"


LINES = [f"line {i} " + "x" * i for i in range(40)]


def test_text_store_round_trip(tmp_path):
    manifest = text.prepare_text_file(LINES, tmp_path / "s", source="test lines")
    store = text.open_text_store(tmp_path / "s")
    assert store.tokens.shape == (40, 32) and store.tokens.dtype == np.uint16
    assert store.manifest == manifest and manifest["count"] == 40 and manifest["vocab_size"] == len(store.vocab)
    expected = {line[:32].ljust(32, "`") for line in LINES}
    assert {"".join(row) for row in text.decode(store.tokens, store.vocab)} == expected
    assert json.loads((tmp_path / "s" / "vocab.json").read_text())[0] == "unk"
    assert text.prepare_text_file(LINES, tmp_path / "s", source="test lines") is None  # already prepared
    with pytest.raises(DataError, match="holds another store"):
        text.prepare_text_file(LINES[:5], tmp_path / "s", source="other lines")
    again = text.prepare_text_file(LINES, tmp_path / "t", source="test lines")
    assert again["tokens_sha256"] == manifest["tokens_sha256"]  # the seeded shuffle: same store every time


def test_a_corrupt_or_missing_store_is_a_one_line_error(tmp_path):
    text.prepare_text_file(LINES, tmp_path, source="test lines")
    tokens = tmp_path / "tokens.npy"
    data = bytearray(tokens.read_bytes())
    data[-1] ^= 1
    tokens.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"tokens\.npy: content does not match its sha256.*--overwrite") as e:
        text.open_text_store(tmp_path)
    assert "\n" not in str(e.value)
    with pytest.raises(DataError, match="text store not found"):
        text.open_text_store(tmp_path / "nowhere")


def test_billion_word_files_are_read_in_order_up_to_max_lines(tmp_path):
    shards = tmp_path / "training-monolingual.tokenized.shuffled"
    shards.mkdir()
    (shards / "news.en-00001-of-00100").write_bytes(b"first one .\nfirst two .\n")
    (shards / "news.en-00002-of-00100").write_bytes(b"second one .\nsecond two .\n")
    manifest = text.prepare_billion_word(tmp_path, tmp_path / "store", max_lines=3, quiet=True)
    store = text.open_text_store(tmp_path / "store")
    decoded = {"".join(row).rstrip("`") for row in text.decode(store.tokens, store.vocab)}
    assert decoded == {"first one .", "first two .", "second one ."}
    assert manifest["source_option"] == f"--root {tmp_path.resolve()}"


def test_prepare_billion_word_command(tmp_path):
    result = repro_cli("prepare", "billion-word", "--builtin", "--max-lines", 500, "--out", tmp_path / "builtin")
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "builtin" / "manifest.json").read_text())
    assert manifest["count"] == 500 and manifest["source"] == text.BUILTIN_SOURCE
    bad = repro_cli("prepare", "billion-word", "--root", tmp_path / "missing", "--out", tmp_path / "bad")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "news.en-00001-of-00100" in bad.stderr


def test_builtin_sentences_are_ascii_english_and_deterministic():
    sentences = text.builtin_sentences()
    assert len(sentences) > 1000 and all(s and s.isascii() for s in sentences)
    assert sentences == text.builtin_sentences()
