"""The Qt binding installed does not leak references when signals call Python slots.

PySide6 6.12.0 drops a reference to each argument a Python slot receives; after about a hundred
thousand emits of True the interpreter aborts. The window emits that many in a long session.
"""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal
app = QCoreApplication([])
class Source(QObject):
    changed = Signal(bool)
source, seen = Source(), []
source.changed.connect(lambda value: seen.append(value))
before = sys.getrefcount(True)
for number in range(300_000):
    source.changed.emit(number % 2 == 0)
seen.clear()
print(sys.getrefcount(True) - before)
"""


def test_emitting_signals_to_python_slots_keeps_reference_counts():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-500:]
    assert abs(int(result.stdout.strip())) < 1000
