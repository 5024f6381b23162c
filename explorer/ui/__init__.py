"""The Qt layer: the only package that imports PySide6 or pyqtgraph. It shows and asks; all store
work goes through the core's services on worker threads."""
