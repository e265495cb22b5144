"""The exam server: exams, rooms, candidates, sittings, uploads, scoring jobs.

Importing this package loads nothing heavy: the seat program imports
:mod:`exam_server.wire` for the wire schemas and nothing else.
"""
