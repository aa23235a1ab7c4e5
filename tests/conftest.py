"""Shared fixtures: make the worktree importable by worker processes."""

from __future__ import annotations

from sim.executors import ensure_importable

ensure_importable()
