"""A TCP proxy the fault tests put between the platform and a server, to break the connection on cue.

    proxy = TcpProxy(("127.0.0.1", 5673)).start()      # listen on proxy.port
    proxy.drop()      # close every open connection (a network blip, a broker restart)
    proxy.hang()      # accept and keep connections but pass no byte either way (a hung server)
    proxy.refuse()    # close the listening socket: new connections are refused (a server down)
    proxy.heal()      # back to normal

It runs on real OS threads and sockets even in a test process that eventlet has monkey-patched:
green sockets closed under a waiting reader let a new connection reuse the file descriptor while
the old reader is still registered with the hub, which eventlet refuses ("second simultaneous
read"). Unpatched, the proxy stays out of the hub altogether.
"""
from __future__ import annotations

try:
    from eventlet.patcher import original
except ImportError:  # pragma: no cover - eventlet is always installed with nameko
    import importlib

    def original(name):
        return importlib.import_module(name)

socket = original("socket")
threading = original("threading")


class TcpProxy:
    def __init__(self, upstream: tuple[str, int], port: int = 0):
        self.upstream = upstream
        self.port = port
        self._listener: socket.socket | None = None
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._flowing = threading.Event()
        self._flowing.set()
        self._stopped = False

    def start(self) -> TcpProxy:
        self._listen()
        return self

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while not self._stopped:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, server))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                self._flowing.wait()
                target.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, target):
                try:
                    s.close()
                except OSError:
                    pass

    def drop(self) -> None:
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def hang(self) -> None:
        self._flowing.clear()

    def refuse(self) -> None:
        if self._listener is not None:
            try:  # wakes the thread blocked in accept(); close() alone does not on Linux
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        self.drop()

    def heal(self) -> None:
        self._flowing.set()
        if self._listener is None and not self._stopped:
            self._listen()

    def stop(self) -> None:
        self._stopped = True
        self._flowing.set()
        self.refuse()
