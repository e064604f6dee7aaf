# The Python worker: loads one handler module from its file path and runs it for each invoke
# request, the way the Lambda Python runtime does. Started by LocalRuntime (src/local/runtime);
# the message shapes are those of protocol.ts. Requests arrive as JSON lines on stdin and
# results leave as JSON lines on the original stdout; the handler's print() and logging go to
# stderr, which is the invocation's log, closed by a marker line per invocation.
import decimal
import importlib.util
import inspect
import json
import os
import sys
import time
import traceback

SETTINGS = json.loads(os.environ.pop("IOT_AUTHZ_WORKER", "{}"))
HANDLER_FILE = SETTINGS["handlerFile"]
HANDLER_DIR = os.path.dirname(HANDLER_FILE)
MODULE_NAME = os.path.splitext(os.path.basename(HANDLER_FILE))[0]
BOOTSTRAP_FILE = os.path.abspath(__file__)

# Keep the protocol streams for ourselves: fd 1 and fd 0 are handed to the handler as the log
# stream and an empty input, so nothing it prints (even from C code) can corrupt a message.
_protocol_out = os.fdopen(os.dup(1), "w", encoding="utf-8", newline="\n")
_protocol_in = os.fdopen(os.dup(0), "rb")
os.dup2(2, 1)
_devnull = os.open(os.devnull, os.O_RDONLY)
os.dup2(_devnull, 0)
sys.stdout = sys.stderr
sys.stdin = open(os.devnull, "r")


# The runtime's per-run nonce (first line of the channel, read before the handler loads):
# every line to the runtime starts with it, so a handler's writes to a guessed fd are refused.
_nonce = _protocol_in.readline().decode("utf-8").strip()


def send(message):
    _protocol_out.write(_nonce + json.dumps(message, allow_nan=False) + "\n")
    _protocol_out.flush()


def close_logs(request_id):
    sys.stderr.flush()
    sys.stderr.write("%s%d\n" % (SETTINGS["logMarker"], request_id))
    sys.stderr.flush()


class LambdaJsonEncoder(json.JSONEncoder):
    """Like the Lambda runtime's marshaller: Decimal (e.g. from DynamoDB) becomes a number."""

    def default(self, o):
        if isinstance(o, decimal.Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        return super().default(o)


class LambdaContext:
    def __init__(self, fields):
        self.aws_request_id = fields["awsRequestId"]
        self.function_name = fields["functionName"]
        self.function_version = fields["functionVersion"]
        self.memory_limit_in_mb = fields["memoryLimitInMB"]
        self.invoked_function_arn = fields["invokedFunctionArn"]
        self.log_group_name = fields["logGroupName"]
        self.log_stream_name = fields["logStreamName"]
        self.identity = None
        self.client_context = None
        self._deadline_ms = fields["deadlineMs"]

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))


def user_traceback(exc):
    """The traceback without this bootstrap's frames: only what the user wrote."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if os.path.abspath(f.filename) != BOOTSTRAP_FILE and not f.filename.startswith("<frozen")
    ]
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)


def own_files():
    """Source files the handler loaded from its project (not the standard library or site-packages)."""
    files = []
    for module in list(sys.modules.values()):
        f = getattr(module, "__file__", None)
        if not f:
            continue
        f = os.path.abspath(f)
        if f.startswith(HANDLER_DIR + os.sep) and "site-packages" not in f and "__pycache__" not in f:
            files.append(f)
    return files


_reported = set()


def new_files():
    fresh = [f for f in own_files() if f not in _reported]
    _reported.update(fresh)
    return fresh


def load_error(exc):
    if isinstance(exc, SyntaxError):
        where = "%s:%s" % (exc.filename, exc.lineno)
        return {
            "code": "SYNTAX_ERROR",
            "message": "%s: %s: %s" % (where, type(exc).__name__, exc.msg),
            "detail": {"file": exc.filename, "line": exc.lineno, "column": exc.offset, "errorType": type(exc).__name__},
        }
    if isinstance(exc, ImportError):
        missing = getattr(exc, "name", None)
        hint = ""
        if isinstance(exc, ModuleNotFoundError) and missing:
            hint = " Install it for this interpreter (%s -m pip install %s) or vendor it next to the handler." % (
                os.path.basename(sys.executable) or "python3",
                missing.split(".")[0],
            )
        return {
            "code": "IMPORT_ERROR",
            "message": "Unable to import module '%s': %s%s" % (MODULE_NAME, exc, hint),
            "detail": {"missingModule": missing, "errorType": type(exc).__name__, "stack": user_traceback(exc)},
        }
    return {
        "code": "INIT_ERROR",
        "message": "The handler module raised while loading: %s: %s" % (type(exc).__name__, exc),
        "detail": {"errorType": type(exc).__name__, "stack": user_traceback(exc)},
    }


def load_module():
    # Lambda puts the function's folder first on sys.path, so sibling modules import.
    sys.path.insert(0, HANDLER_DIR)
    spec = importlib.util.spec_from_file_location(MODULE_NAME, HANDLER_FILE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module
    spec.loader.exec_module(module)
    return module


def functions_of(module):
    return sorted(
        name
        for name, value in vars(module).items()
        if callable(value) and not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
    )


def find_function(module, name):
    value = module
    for part in name.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value if callable(value) else None


def invoke(module, request):
    started = time.perf_counter()
    fn = find_function(module, request["functionName"])
    if fn is None:
        available = functions_of(module)
        listed = ("It defines: %s." % ", ".join(available)) if available else "It defines no public functions."
        error = {
            "code": "FUNCTION_NOT_FOUND",
            "message": '%s has no function "%s". %s Fix the name after ":" in "handler", or define the function.'
            % (os.path.basename(HANDLER_FILE), request["functionName"], listed),
            "detail": {"availableFunctions": available},
        }
        return None, error, time.perf_counter() - started
    try:
        result = fn(request["event"], LambdaContext(request["context"]))
    except Exception as exc:  # noqa: BLE001 - every handler failure is reported, like Lambda does
        return None, handler_exception(exc), time.perf_counter() - started
    except SystemExit as exc:
        return None, {
            "code": "HANDLER_EXCEPTION",
            "message": "The handler called sys.exit(%s): Lambda reports this as Runtime.ExitError and refuses the connection." % (exc.code,),
            "detail": {"errorType": "SystemExit", "stack": user_traceback(exc)},
        }, time.perf_counter() - started
    duration = time.perf_counter() - started
    if result is None:
        return None, {
            "code": "NO_RESPONSE",
            "message": "The handler returned None: AWS needs a dict with isAuthenticated, principalId and policyDocuments.",
        }, duration
    try:
        encoded = json.dumps(result, cls=LambdaJsonEncoder, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return None, {
            "code": "RESPONSE_NOT_JSON",
            "message": "The handler's answer cannot be converted to JSON: %s. Return dicts, lists, strings, numbers and booleans." % exc,
            "detail": {"errorType": type(exc).__name__},
        }, duration
    size = len(encoded.encode("utf-8"))
    limit = SETTINGS["maxResponseBytes"]
    if size > limit:
        return None, {
            "code": "RESPONSE_TOO_LARGE",
            "message": "The handler's answer is %d bytes; Lambda refuses answers over %d bytes." % (size, limit),
            "detail": {"sizeBytes": size, "limitBytes": limit},
        }, duration
    return encoded, None, duration


def handler_exception(exc):
    return {
        "code": "HANDLER_EXCEPTION",
        "message": "The handler failed: %s: %s" % (type(exc).__name__, exc),
        "detail": {"errorType": type(exc).__name__, "stack": user_traceback(exc)},
    }


def max_rss_kb():
    """Peak resident memory in KiB (Linux reports KiB, macOS bytes); None where unknown."""
    try:
        import resource
    except ImportError:
        return None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss // 1024 if sys.platform == "darwin" else rss


def main():
    version = "%d.%d.%d" % sys.version_info[:3]
    started = time.perf_counter()
    try:
        module = load_module()
    except BaseException as exc:  # noqa: BLE001 - a failed load is reported, then the worker ends
        close_logs(0)
        files = new_files() or [HANDLER_FILE]
        send({"type": "ready", "version": version, "initMs": (time.perf_counter() - started) * 1000,
              "files": files, "error": load_error(exc)})
        return
    send({"type": "ready", "version": version, "initMs": (time.perf_counter() - started) * 1000, "files": new_files()})
    for line in _protocol_in:
        if not line.strip():
            continue
        request = json.loads(line)
        if request["type"] == "echo":
            send({"type": "echo", "id": request["id"], "payload": request["payload"]})
            continue
        encoded, error, duration = invoke(module, request)
        files = new_files()
        close_logs(request["id"])
        message = {"type": "result", "id": request["id"], "durationMs": duration * 1000, "maxRssKb": max_rss_kb()}
        if files:
            message["files"] = files
        if error is not None:
            message["error"] = error
            send(message)
        else:
            # The answer is already JSON: splice it in rather than encode it twice.
            head = json.dumps(message)
            _protocol_out.write(_nonce + head[:-1] + ', "response": ' + encoded + "}\n")
            _protocol_out.flush()


if __name__ == "__main__":
    main()
