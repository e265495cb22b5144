"""Speech scoring for the oral English exam: alignment, pronunciation,
fluency, prosody, completeness and content, on the CPU.

The exam server calls::

    from scoring_engine.audio import load_audio          # (path) -> (y, 16000)
    from scoring_engine.read_aloud import score_read_aloud
    from scoring_engine.open_answer import score_open_answer

    score_read_aloud(y, sr=sr, text=...)                  # ReadAloudResult
    score_open_answer(y, sr=sr, reference_answers=[...], key_points=[...])

Both results carry ``overall`` (0-100), ``scorer`` ("name/version"),
``flags`` (no_speech, too_short, clipping, low_snr, different_text) and
``to_dict()``; unscorable input raises
:class:`scoring_engine.errors.ScoringError`. The command line is
``python -m scoring_engine score|batch``; the calibration is
``python -m scoring_engine.calibrate``.
"""
