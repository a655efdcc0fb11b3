"""AI PC Profiler: profile ONNX models on the CPU, GPU and NPU of an AI PC."""

__version__ = "0.1.0"
