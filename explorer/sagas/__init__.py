"""Sagas (process managers): event-sourced coordinators that dispatch commands exactly once."""

from explorer.sagas.manager import SagaManager, SagaManagerStatus
from explorer.sagas.process import COMPENSATION, FORWARD, ProcessManager

__all__ = ["COMPENSATION", "FORWARD", "ProcessManager", "SagaManager", "SagaManagerStatus"]
