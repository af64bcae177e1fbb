#!/usr/bin/env python3
"""The seed's design as a peer for benchmark B6: a plain asyncio.gather over the official google-genai
SDK (3.x) with its own retry options (HttpRetryOptions: exponential backoff on 408/429/5xx; the SDK
ignores RetryInfo), against the same fake API and quota as SceneDrop. No placeholder exists here: a
scene whose retries run out is counted as failed.

Usage: sdk_peer.py BASE_URL API_KEY MODEL SCENES
Prints one JSON line: {"images", "failed", "seconds", "first_error"}.
"""
import asyncio
import json
import sys
import time

from google import genai
from google.genai import types

base_url, key, model, scenes = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
errors = []
client = genai.Client(
    api_key=key,
    http_options=types.HttpOptions(base_url=base_url, api_version="v1beta", retry_options=types.HttpRetryOptions()),
)


async def scene(number):
    try:
        response = await client.aio.models.generate_content(
            model=model,
            contents="Benchmark scene %d, a lighthouse at dusk" % number,
            config=types.GenerateContentConfig(
                response_modalities=["IMAGE"], image_config=types.ImageConfig(aspect_ratio="16:9")),
        )
        parts = response.candidates[0].content.parts if response.candidates else []
        return any(part.inline_data for part in parts)
    except Exception as error:
        errors.append("%s: %s" % (type(error).__name__, str(error)[:300]))
        return False


async def main():
    started = time.monotonic()
    results = await asyncio.gather(*(scene(n) for n in range(1, scenes + 1)))
    print(json.dumps({"images": sum(results), "failed": scenes - sum(results), "seconds": time.monotonic() - started,
                      "first_error": errors[0] if errors else None}))


asyncio.run(main())
