"""Our safetensors files against the real `safetensors` package (numpy loader; torch reads the
same bytes with safetensors.torch.load_file). Usage: safetensors_roundtrip.py TOOL SCRATCH_DIR."""
import os
import subprocess
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

tool, scratch = sys.argv[1], sys.argv[2]
os.makedirs(scratch, exist_ok=True)

# C++ -> Python
path = os.path.join(scratch, "from_cpp.safetensors")
subprocess.run([tool, "write", path], check=True)
t = load_file(path)
assert t["layer.weight"].dtype == np.float32 and t["layer.weight"].shape == (2, 3), t["layer.weight"]
np.testing.assert_array_equal(t["layer.weight"], np.array([[-1, -0.5, 0], [0.5, 1, 1.5]], np.float32))
np.testing.assert_array_equal(t["doubles"], np.array([3.141592653589793, -2.5e-300, 1e300]))
assert t["ints"].dtype == np.int64 and t["ints"].shape == (3, 1)
np.testing.assert_array_equal(t["ints"][:, 0], np.array([-7, 0, 9007199254740993], np.int64))
np.testing.assert_array_equal(t["bytes"], np.array([[0, 1], [255, 7]], np.uint8))
assert t["empty"].shape == (0, 4)
with safe_open(path, framework="numpy") as f:
    assert f.metadata() == {"format": "cai-test", "note": "written by C++"}, f.metadata()

# An MLP as SAC saves its actor: rebuild the forward pass from the tensors alone.
path = os.path.join(scratch, "mlp.safetensors")
out = subprocess.run([tool, "mlp", path], check=True, capture_output=True, text=True).stdout.split()
t = load_file(path)
x = np.array([0.1, -0.2, 0.3], np.float32)
h = np.tanh(t["actor.0.weight"] @ x + t["actor.0.bias"])
y = t["actor.1.weight"] @ h + t["actor.1.bias"]
np.testing.assert_allclose(y, np.array([float(v) for v in out], np.float32), rtol=1e-5, atol=1e-6)

# Python -> C++
path = os.path.join(scratch, "from_python.safetensors")
save_file({"matrix": (np.arange(6, dtype=np.float32) * 0.25).reshape(2, 3),
           "vector": np.array([1.0, 2.0, 3.0, -0.125])}, path, metadata={"origin": "python"})
r = subprocess.run([tool, "check", path], capture_output=True, text=True)
assert r.returncode == 0, r.stderr
print("safetensors round trip: OK")
