"""Flags are checked while they are parsed: a number out of range, an output that cannot be written or a
folder that is a file costs one line on stderr and exit status 2, before anything loads."""

from __future__ import annotations

import os

import pytest

from ferkit.cli.main import main


def _refused(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["predict", "x.jpg", "--smoothing", "5"], "argument --smoothing: must be in [0, 1), got 5"),
        (["predict", "x.jpg", "--smoothing=-3"], "must be in [0, 1), got -3"),
        (["predict", "x.jpg", "--uncertain-below", "1.5"], "must be in [0, 1], got 1.5"),
        (["predict", "x.jpg", "--sample-fps", "0"], "must be in (0, inf], got 0"),
        (["predict", "x.jpg", "--sample-fps", "nan"], "must be a finite number"),
        (["webcam", "--max-frames", "0"], "must be in [1, inf], got 0"),
        (["serve", "--port", "70000"], "must be in [0, 65535], got 70000"),
        (["serve", "--concurrency", "zero"], "expected a whole number, got 'zero'"),
        (["serve", "--timeout", "-1"], "argument --timeout: must be in (0, inf]"),
        (["train", "--data", "x", "--lr", "0"], "argument --lr: must be in (0, 10], got 0"),
        (["train", "--data", "x", "--label-smoothing", "1"], "must be in [0, 1), got 1"),
        (["train", "--data", "x", "--batch-size", "1"], "must be in [2, 65536], got 1"),
        (["tune", "--data", "x", "--ema-decay", "1"], "argument --ema-decay: must be in [0, 1)"),
        (["finetune", "--data", "x", "--out", "o", "--epochs", "0"], "must be in [1, inf], got 0"),
        (["data", "report", "x", "--val-fraction", "1"], "must be in (0, 1), got 1"),
    ],
)
def test_numbers_out_of_range_are_one_line(argv, message, capsys):
    err = _refused(argv, capsys)
    assert message in err and err.startswith(f"ferkit {argv[0]}")


def test_outputs_that_cannot_be_written_are_named(tmp_path, capsys):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"x")
    assert "/proc/version: is not a regular file" in _refused(
        ["predict", str(photo), "--json", "/proc/version"], capsys
    )
    assert f"{photo}/x: cannot write here: {photo} is not a folder" in _refused(
        ["predict", str(photo), "--csv", f"{photo}/x"], capsys
    )
    assert f"{photo}: exists and is not a folder" in _refused(["predict", str(photo), "--annotate", str(photo)], capsys)
    assert f"{tmp_path}: is a folder; give a file name" in _refused(
        ["predict", str(photo), "--jsonl", str(tmp_path)], capsys
    )
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert "is not a regular file" in _refused(["data", "pack", "x.zip", "--out", str(fifo)], capsys)


def test_a_missing_folder_for_an_output_file_is_made(tmp_path):
    from ferkit.cli.checks import output_file

    assert output_file(str(tmp_path / "new" / "sub" / "faces.csv")) == str(tmp_path / "new" / "sub" / "faces.csv")
    assert (tmp_path / "new" / "sub").is_dir() and not (tmp_path / "new" / "sub" / "faces.csv").exists()


def test_a_fifo_given_as_input_is_called_what_it_is(tmp_path, capsys):
    fifo = tmp_path / "frame.jpg"
    os.mkfifo(fifo)
    assert main(["predict", str(fifo), "--no-detect"]) == 1
    out = capsys.readouterr()
    assert f"{fifo}: is not a regular file (a FIFO, socket or device)" in out.out + out.err
    assert "no such file" not in out.out + out.err
