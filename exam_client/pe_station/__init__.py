"""The PE station program (体育中考 测试点): live camera, local judge, results.

One station tests one item (pull-ups, one-minute sit-ups or one-minute rope
skipping) for one candidate per lane of its camera. The judge of
:mod:`pe_sensors.judges` runs on the station, on the live landmark stream;
everything the server holds (check-in, trials, evidence, the candidate's
confirmation, a dispute) travels over HTTP with the wire classes of
:mod:`exam_server.wire`.

Modules: :mod:`.qtenv` (importing OpenCV beside Qt), :mod:`.live` (the live
judge), :mod:`.capture` (frames and landmarks), :mod:`.journal` (the local
journal of trials and clips), :mod:`.api` (the HTTP client),
:mod:`.uploader`, :mod:`.session` (the station's state machine), and the Qt
layer: :mod:`.worker`, :mod:`.window`, :mod:`.autopilot`, :mod:`.app`.
"""
