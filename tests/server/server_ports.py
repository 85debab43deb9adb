"""Start pl_server on ports it picks itself (port 0) and read them back from --ports-file.

Picking a "free" port in the test and handing it to the server races with every other test that
does the same at the same time under `ctest -j`; letting the kernel choose at bind time cannot."""
import json, os, subprocess, tempfile, time


def start(argv, timeout=60, **popen_kwargs):
    """argv: pl_server and its flags, without --http-port/--grpc-port/--ports-file.
    Returns (process, http_port, grpc_port) once both front ends listen."""
    d = tempfile.mkdtemp()
    ports_file = os.path.join(d, "ports.json")
    proc = subprocess.Popen(list(argv) + ["--http-port", "0", "--grpc-port", "0", "--ports-file", ports_file],
                            **popen_kwargs)
    return (proc,) + wait(proc, ports_file, timeout)


def wait(proc, ports_file, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(ports_file):
            p = json.load(open(ports_file))
            return p["http"], p["grpc"]
        if proc.poll() is not None:
            raise RuntimeError(f"pl_server exited with {proc.returncode} before it listened")
        time.sleep(0.02)
    proc.kill()
    raise RuntimeError(f"pl_server did not write {ports_file} within {timeout} s")
