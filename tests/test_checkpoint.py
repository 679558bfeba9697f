"""The self-describing checkpoint: round trip, weights_only, typed errors."""

import pickle

import numpy as np
import pytest
import torch

from colorcli.checkpoint import FORMAT, FORMAT_VERSION, load_checkpoint
from colorcli.errors import CheckpointError
from colorcli.kernels import LAB_CONSTANTS


def test_plain_torch_load_weights_only(tiny_ckpt):
    payload = torch.load(tiny_ckpt, weights_only=True)
    assert payload["format"] == FORMAT and payload["format_version"] == FORMAT_VERSION
    for key in (
        "arch",
        "model_config",
        "state_dict",
        "ab_bins",
        "prior",
        "class_weights",
        "rebalance",
        "lab",
        "decode",
        "train",
        "provenance",
    ):
        assert key in payload
    assert payload["decode"]["temperature"] == pytest.approx(0.38)
    assert payload["lab"] == LAB_CONSTANTS
    assert payload["provenance"]["torch"]


def test_round_trip(tiny_ckpt):
    ckpt = load_checkpoint(tiny_ckpt)
    assert ckpt.ab_bins.shape == (261, 2)
    np.testing.assert_allclose(ckpt.prior.sum(), 1.0)
    model = ckpt.build()
    assert model.config.num_bins == 261


def test_half_precision_copy(tmp_path, tiny_ckpt):
    from colorcli.checkpoint import save_checkpoint

    ckpt = load_checkpoint(tiny_ckpt)
    path = save_checkpoint(ckpt, tmp_path / "half.pt", half=True)
    assert path.stat().st_size < tiny_ckpt.stat().st_size
    # the fp16 file colours as the fp32 one does, to within fp16's rounding
    from colorcli.colorizer import Colorizer
    from tests.conftest import gradient_rgb

    img = gradient_rgb(40, 40)
    full = Colorizer(tiny_ckpt, device="cpu").colorize(img).astype(int)
    half = Colorizer(path, device="cpu").colorize(img).astype(int)
    assert np.abs(full - half).max() <= 3


class Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_legacy_file_of_a_one_stride_architecture_still_loads(tmp_path):
    from colorcli.checkpoint import save_checkpoint
    from tests.conftest import make_checkpoint

    path = make_checkpoint(tmp_path / "e.pt", arch="eccv16")
    payload = torch.load(path, weights_only=True)
    payload["model_config"]["out_stride"] = 1  # what files written before stride checks hold
    torch.save(payload, path)
    ckpt = load_checkpoint(path)
    assert ckpt.model_config["out_stride"] == 4 and ckpt.build().output_stride == 4
    save_checkpoint(ckpt, tmp_path / "again.pt")


@pytest.mark.parametrize(
    "kind,message",
    [
        ("missing", "no such model file"),
        ("garbage", "not a model file"),
        ("truncated", "not a model file, or truncated"),
        ("code", "refused: the file contains code"),
        ("newer", "newer than this colorcli reads"),
        ("foreign", "not a colorcli checkpoint"),
        ("mismatch", "weights do not match"),
    ],
)
def test_bad_files_raise_typed_errors(tmp_path, tiny_ckpt, kind, message):
    path = tmp_path / f"{kind}.pt"
    if kind == "garbage":
        path.write_bytes(b"\x00\x01garbage" * 100)
    elif kind == "truncated":
        data = tiny_ckpt.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "code":
        torch.save({"format": FORMAT, "x": Evil()}, path)
    elif kind == "newer":
        payload = torch.load(tiny_ckpt, weights_only=True)
        payload["format_version"] = FORMAT_VERSION + 1
        torch.save(payload, path)
    elif kind == "foreign":
        torch.save({"model": torch.zeros(3)}, path)
    elif kind == "mismatch":
        payload = torch.load(tiny_ckpt, weights_only=True)
        payload["state_dict"] = {
            k: v[..., :1] if v.ndim else v for k, v in payload["state_dict"].items()
        }
        torch.save(payload, path)
    with pytest.raises(CheckpointError, match=message) as err:
        load_checkpoint(path).build()
    assert "\n" not in str(err.value)


def test_code_is_never_executed(tmp_path, capsys, recwarn):
    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump(Evil(), f)
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    assert "pwned" not in capsys.readouterr().out
    assert not [w for w in recwarn if "pickle protocol" in str(w.message)]  # no torch noise


def test_a_full_disk_while_saving_is_said_in_words(tmp_path, tiny_ckpt, monkeypatch):
    """torch.save into a full disk raised "RuntimeError: [enforce fail at
    inline_container.cc:672] . unexpected pos ...", which reached the user of `colorize
    train` as an unexpected error. The checkpoint is serialized first and written as bytes:
    the disk's own error is a NoSpaceError, and nothing is left under either name."""
    import errno
    from pathlib import Path

    from colorcli.checkpoint import save_checkpoint
    from colorcli.errors import NoSpaceError

    real = Path.write_bytes

    def full(self, data):
        real(self, bytes(data)[:100])
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_bytes", full)
    dst = tmp_path / "last.pt"
    with pytest.raises(NoSpaceError) as e:
        save_checkpoint(load_checkpoint(tiny_ckpt), dst)
    assert (
        str(e.value) == f"{dst}: no space left on the device: free some and run the command again"
    )
    assert list(tmp_path.iterdir()) == []
