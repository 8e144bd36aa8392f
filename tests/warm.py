"""Warm interpreters for the tests' `python -c CODE ARGS` subprocesses whose imports are the heavy ones.

Importing torch, fastai, diffusers and synthbridge takes about 9 s on a 2-core CPU, and each notebook test and each
`synthbridge demo` subprocess paid it again. A `WarmPython` is one interpreter that imports those modules once and runs
nothing; each request is a child forked from it. The child is a process of its own (its own pid, signals, exit code,
atexit handlers, stdout and stderr) with the request's environment, working folder and arguments, as `python -c` would
have them, except that the modules above are already imported. `WarmPool` keeps one warm interpreter per environment
in each pytest worker: PYTHONHASHSEED, PYTHONPATH, thread counts and offline switches are read at import, so only
`TMPDIR` and pytest's own variable may differ between a request and its warm interpreter.

Tests opt in with `python_cmd(..., warm=True)` or `warm_pool().popen(...)` (tests/conftest.py); a test about imports
themselves (what `import synthbridge` pulls in) keeps a fresh interpreter. `SYNTHBRIDGE_WARM=0` runs every request in
a fresh interpreter."""
import json, os, queue, shutil, signal, subprocess, sys, tempfile, threading
from pathlib import Path

PRELOAD = ("torch", "fastai.vision.all", "diffusers", "transformers", "timm", "matplotlib.pyplot", "IPython",
           "nbdev.test", "synthbridge.all",
           # diffusers and transformers import a model's modules on first use: a text-to-image pipeline (tiny or
           # mini-web) paid 2.8 s for them in each request, 0.5 s with these (diffusers' loader imports auto_pipeline)
           "diffusers.pipelines.auto_pipeline", "transformers.models.clip.modeling_clip",
           "transformers.models.clip.tokenization_clip")
PER_REQUEST = ("TMPDIR", "PYTEST_CURRENT_TEST")    # read when used, not at import: may differ from the warm interpreter's

SERVER = r"""
import json, os, sys
for m in sys.argv[1].split(","): __import__(m)
import atexit, tempfile, threading, types
requests, replies = os.fdopen(os.dup(0), "r"), os.fdopen(os.dup(1), "w", buffering=1)
null = os.open(os.devnull, os.O_RDONLY); os.dup2(null, 0); os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
replies.write(json.dumps({"ready": threading.active_count()}) + "\n")

def child(req):
    requests.close(); replies.close()
    for fd, path in ((1, req["stdout"]), (2, req["stderr"])):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
    os.chdir(req["cwd"]); os.environ.clear(); os.environ.update(req["env"]); tempfile.tempdir = None
    main = types.ModuleType("__main__"); main.__builtins__ = __builtins__; sys.modules["__main__"] = main
    sys.argv = ["-c", *req["args"]]; sys.path[0] = ""
    rc = 0
    try: exec(compile(req["code"], "<string>", "exec"), main.__dict__)
    except SystemExit as e:                      # as the interpreter exits: an int, None (0) or a message (1)
        if e.code is None or isinstance(e.code, int): rc = e.code or 0
        else: print(e.code, file=sys.stderr); rc = 1
    except BaseException:
        import traceback; traceback.print_exc(); rc = 1
    try: atexit._run_exitfuncs()
    finally:
        for f in (sys.stdout, sys.stderr):
            try: f.flush()
            except Exception: pass
        os._exit(rc)

for line in requests:
    req = json.loads(line)
    sys.stdout.flush(); sys.stderr.flush()
    pid = os.fork()
    if pid == 0: child(req)
    replies.write(json.dumps({"pid": pid}) + "\n")
    _, status = os.waitpid(pid, 0)
    replies.write(json.dumps({"rc": os.waitstatus_to_exitcode(status)}) + "\n")
"""

class WarmPython:
    "One warm interpreter for one environment (started on first use), serving one request at a time."
    def __init__(self, env: dict, cwd, preload=PRELOAD):
        self.env, self.cwd, self.preload, self.proc, self.busy = dict(env), Path(cwd), preload, None, False

    def _start(self):
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER, ",".join(self.preload)], cwd=self.cwd, env=self.env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._reader, args=(self.proc.stdout, self.lines), daemon=True).start()
        ready = self._read(600)
        if not ready or "ready" not in ready: self.close(); raise RuntimeError("the warm interpreter did not start")

    @staticmethod
    def _reader(stream, lines):
        for line in stream: lines.put(json.loads(line))
        lines.put({})                                   # the warm interpreter exited

    def _read(self, timeout):
        "The next reply, {} if the warm interpreter exited, None after `timeout` seconds."
        try: return self.lines.get(timeout=timeout)
        except queue.Empty: return None

    def popen(self, code, *args, env, cwd) -> "WarmProcess":
        "Start `python -c CODE ARGS` with `env` in `cwd`: a `WarmProcess` (its stdout and stderr go to files)."
        if self.busy: raise RuntimeError("the warm interpreter serves one process at a time")
        if self.proc is None or self.proc.poll() is not None: self._start()
        d = Path(tempfile.mkdtemp(prefix="warm-"))
        req = dict(code=code, args=list(map(str, args)), env=dict(env), cwd=str(cwd), stdout=str(d/"stdout"),
                   stderr=str(d/"stderr"))
        self.proc.stdin.write(json.dumps(req) + "\n"); self.proc.stdin.flush()
        pid = (self._read(60) or {}).get("pid")
        if pid is None: self.close(); raise RuntimeError("the warm interpreter did not fork")
        self.busy = True
        return WarmProcess(self, pid, [sys.executable, "-c", code, *req["args"]], d)

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.close(); self.proc.wait(30)
        self.proc = None

class WarmProcess:
    "A process forked from a `WarmPython`, with the part of `subprocess.Popen`'s interface the tests use."
    def __init__(self, warm, pid, args, folder):
        self.warm, self.pid, self.args, self.folder, self.returncode = warm, pid, args, folder, None

    def _done(self, reply):
        if "rc" not in reply: self.warm.close(); raise RuntimeError("the warm interpreter died")
        self.returncode, self.warm.busy = reply["rc"], False
        return self.returncode

    def poll(self):
        if self.returncode is None and (reply := self.warm._read(0)) is not None: self._done(reply)
        return self.returncode

    def wait(self, timeout=None):
        if self.returncode is None:
            reply = self.warm._read(timeout)
            if reply is None: raise subprocess.TimeoutExpired(self.args, timeout)
            self._done(reply)
        return self.returncode

    def send_signal(self, sig):
        if self.returncode is None: os.kill(self.pid, sig)
    def kill(self): self.send_signal(signal.SIGKILL)

    def output(self) -> tuple[str, str]:
        "What the process wrote to stdout and stderr (its folder is removed)."
        out = [(self.folder/n).read_text(errors="replace") if (self.folder/n).exists() else "" for n in ("stdout", "stderr")]
        shutil.rmtree(self.folder, ignore_errors=True)
        return out[0], out[1]

class FreshProcess(subprocess.Popen):
    "`subprocess.Popen` in a fresh interpreter, its stdout and stderr in files read by `output()` as `WarmProcess` does."
    def __init__(self, argv, env, cwd):
        self.folder = Path(tempfile.mkdtemp(prefix="fresh-"))
        with open(self.folder/"stdout", "wb") as out, open(self.folder/"stderr", "wb") as err:
            super().__init__(argv, env=env, cwd=cwd, stdout=out, stderr=err)
    output = WarmProcess.output

class WarmPool:
    """The warm interpreters of this process, one per environment (less `PER_REQUEST`); `run` and `popen` take
    `python -c CODE ARGS` as `subprocess.run` and `subprocess.Popen` would, in a fresh interpreter when
    `SYNTHBRIDGE_WARM=0`."""
    def __init__(self, cwd): self.cwd, self.warm = Path(cwd), {}

    def _get(self, env):
        if os.environ.get("SYNTHBRIDGE_WARM", "1") == "0": return None
        base = {k: v for k, v in env.items() if k not in PER_REQUEST}
        key = tuple(sorted(base.items()))
        if key not in self.warm: self.warm[key] = WarmPython(base, self.cwd)
        return self.warm[key]

    def popen(self, code, *args, env, cwd=None):
        "A started process (`WarmProcess`, or a `FreshProcess` with the same interface when no warm one serves)."
        w = self._get(env)
        if w is None: return FreshProcess([sys.executable, "-c", code, *map(str, args)], env=env, cwd=cwd or self.cwd)
        return w.popen(code, *args, env=env, cwd=cwd or self.cwd)

    def run(self, code, *args, env, cwd=None, timeout=600) -> subprocess.CompletedProcess:
        argv = [sys.executable, "-c", code, *map(str, args)]
        p = self.popen(code, *args, env=env, cwd=cwd)
        try: rc = p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill(); p.wait(60)
            raise subprocess.TimeoutExpired(argv, timeout, *p.output())
        return subprocess.CompletedProcess(argv, rc, *p.output())

    def close(self):
        for w in self.warm.values(): w.close()
