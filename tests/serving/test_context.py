"""Per-app state: limits, model information, and metrics that two apps in one process keep apart."""

from __future__ import annotations

import asyncio

from ferkit.serving.context import Limits, ServiceContext


def test_model_info_and_separate_metrics(recognizer):
    async def build() -> tuple[ServiceContext, ServiceContext]:
        return ServiceContext(recognizer, Limits()), ServiceContext(recognizer, Limits(max_concurrency=3))

    a, b = asyncio.run(build())
    assert a.model_info["name"] == "default" and a.model_info["backend"] == "onnx"
    assert a.model_info["classes"] == list(recognizer.classes) and a.model_info["detector"] == "yunet"
    a.metrics.faces.inc(2)
    assert a.metrics.registry is not b.metrics.registry and b.metrics.faces._value.get() == 0
    assert b.gate._value == 3 and Limits().max_upload_bytes == 10 * 1024 * 1024


def test_an_ensemble_service_describes_its_members(tiny_onnx):
    from ferkit.inference.pipeline import Recognizer

    async def build() -> ServiceContext:
        return ServiceContext(Recognizer.from_pretrained(f"default,{tiny_onnx}"), Limits())

    info = asyncio.run(build()).model_info
    assert info["architecture"] == "ensemble" and info["name"].startswith("default+")
