"""Scoring standards and exam-room standards, as data with lookups.

This package depends on no other package of the platform; every other
package may depend on it.
"""
