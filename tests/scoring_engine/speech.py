"""Texts spoken by espeak-ng in the scoring tests."""

from pathlib import Path

SENTENCE = "I usually go to school by bike with my friends every morning"
WITHOUT_BIKE = "I usually go to school with my friends every morning"
OTHER_SENTENCE = "The weather in the mountains was cold and windy last winter"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "speechocean762"
