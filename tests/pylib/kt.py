# SPDX-License-Identifier: MIT
# kt.py - what the Python tests of keybusd share (tests/tpi/tpi_common.py,
# tests/web/api_test.py, bench/web_bench.py): the ok/FAIL lines the shell
# scripts count, a free 127.0.0.1 port, keybusd on the simulated panel
# started, waited for and stopped by its pid. Imported with
#   sys.path.insert(0, os.path.join(os.path.dirname(__file__), "<up>", "pylib"))
# Host only (POSIX, Python 3).
import os, signal, socket, subprocess, tempfile, time

fails = 0   # FAIL lines printed by ok()
procs = []  # every keybusd start() made: stopped (and its log removed) by the caller's cleanup


def ok(name, cond, detail=""):
    """One case: "ok   NAME" or "FAIL NAME: detail" (counted in fails)."""
    global fails
    if cond:
        print("ok   " + name)
    else:
        fails += 1
        print("FAIL " + name + (": " + str(detail)[:400] if detail != "" else ""))
    return cond


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_listening(p, ports, tries, give_up_on_exit=False):
    """Until every port accepts a connection (probes, closed at once), at
    most tries x 25 ms; give_up_on_exit: not once keybusd has exited."""
    for _ in range(tries):
        try:
            for port in ports:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            if give_up_on_exit and p.poll() is not None:
                break
            time.sleep(0.025)


def start(K, http_port, args, env, err_prefix):
    """keybusd K on the simulated panel at 4x speed (no config file, no
    MQTT), its web keypad on 127.0.0.1:http_port, args after; env as given;
    stderr to a temporary file (p.errfile, read by log_of)."""
    err = tempfile.NamedTemporaryFile(prefix=err_prefix, delete=False)
    argv = [K, "--config", "/dev/null", "--mqtt", "off", "--http", "127.0.0.1:%d" % http_port, "--speed", "4"]
    p = subprocess.Popen(argv + args, stdout=subprocess.DEVNULL, stderr=err, env=env)
    p.errfile = err.name
    procs.append(p)
    return p


def stop(p, timeout=10):
    """SIGTERM, then SIGKILL after timeout s; the exit status."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return p.returncode


def log_of(p):
    with open(p.errfile, errors="replace") as f:
        return f.read()
