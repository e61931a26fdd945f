#!/usr/bin/env python3
"""Checks a server-rendered page in a real headless Chromium (Debian: `apt-get install -y chromium`).

Usage:
  browser-check.py URL [--login-url URL --login-field NAME --login-value VALUE]
                       [--width 1280 --width 375 ...] [--expect TEXT ...]
                       [--timeout 30] [--screenshot-dir DIR]

Optionally logs in first: opens --login-url, puts --login-value into the form input named
--login-field, submits that form and waits for the resulting page, so the session cookie the server
sets is kept for the rest of the run. Then, for each --width (default 1280 and 375; below 600 px the
viewport is emulated as mobile), it loads URL in a fresh tab and collects console errors and
warnings, uncaught exceptions, failed requests (network errors and HTTP status >= 400), requests to
any host other than URL's own, the visible text, the number of <svg> elements and whether the
document is wider than the viewport. With --screenshot-dir it saves DIR/width-<W>.png (full page).

Prints one JSON object on stdout: {"widths": {"1280": {...}, ...}, "missing_expected": [...]}.
Exit status: 0 when every width is clean and every --expect TEXT is in the visible text (compared
with whitespace collapsed; note that innerText applies CSS text-transform); 1 otherwise, with one
line per problem on stderr; 2 when no Chromium is found (CHROMIUM=path overrides the search for
chromium, chromium-browser and google-chrome on PATH). --timeout bounds the whole run.

Chromium is driven over the DevTools protocol on --remote-debugging-pipe (commands on its fd 3,
replies on its fd 4, NUL-terminated JSON), standard library only. It runs with a throwaway profile
and a host resolver that fails every host name except the ones under test, so nothing reaches the
internet (a page that references a CDN still shows up under external_requests).
"""
import argparse, base64, fcntl, json, os, select, shutil, signal, subprocess, sys, tempfile, time
from urllib.parse import urlsplit

COLLECT_JS = """(() => ({text: document.body ? document.body.innerText : '',
  svg: document.querySelectorAll('svg').length,
  scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth}))()"""
LOGIN_JS = """((name, value) => {
  const input = Array.from(document.querySelectorAll('input, textarea')).find(e => e.name === name);
  if (!input) return 'no input named ' + name + ' on the login page';
  if (!input.form) return 'input ' + name + ' is not inside a form';
  input.value = value;
  input.dispatchEvent(new Event('input', {bubbles: true}));
  input.form.submit();
  return 'ok';
})(%s, %s)"""
SETTLE = 0.5  # seconds to keep listening after the load event, for late console messages


class CheckError(Exception):
    """A problem that ends the run early (timeout, Chromium gone, login failed)."""


class Browser:
    def __init__(self, exe, headless, hosts, workdir, deadline):
        self.deadline, self.next_id, self.buf, self.listeners = deadline, 0, bytearray(), {}
        cmd_r, self.cmd_w = os.pipe()
        self.res_r, res_w = os.pipe()

        def child_fds():  # in the child: Chromium reads commands on fd 3 and writes replies on fd 4
            a, b = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10), fcntl.fcntl(res_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        profile = os.path.join(workdir, 'profile')
        rules = 'MAP * ~NOTFOUND' + ''.join(', EXCLUDE ' + h for h in sorted(hosts))
        args = [exe, headless, '--no-sandbox', '--disable-gpu', '--user-data-dir=' + profile,
                '--no-first-run', '--no-default-browser-check', '--remote-debugging-pipe',
                '--host-resolver-rules=' + rules, '--disable-background-networking',
                '--disable-component-update', '--disable-sync', '--disable-extensions',
                '--disable-default-apps', '--disable-dev-shm-usage', '--hide-scrollbars',
                '--mute-audio', '--disable-features=Translate,OptimizationHints,MediaRouter',
                'about:blank']
        self.log_path = os.path.join(workdir, 'chromium.log')
        with open(self.log_path, 'wb') as log:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         pass_fds=(3, 4), preexec_fn=child_fds,
                                         start_new_session=True)
        os.close(cmd_r)
        os.close(res_w)

    def log_tail(self):
        with open(self.log_path, 'rb') as f:
            lines = f.read().decode(errors='replace').strip().splitlines()
        return ' | '.join(lines[-3:]) or '(no output)'

    def _read(self, until):
        """Returns the next message, or None once `until` has passed."""
        while (end := self.buf.find(b'\0')) < 0:
            left = min(until, self.deadline) - time.monotonic()
            if left <= 0:
                if until >= self.deadline:
                    raise CheckError('timed out (see --timeout)')
                return None
            if select.select([self.res_r], [], [], left)[0]:
                chunk = os.read(self.res_r, 1 << 20)
                if not chunk:
                    raise CheckError('Chromium closed the DevTools pipe: ' + self.log_tail())
                self.buf += chunk
        msg = json.loads(self.buf[:end])
        del self.buf[:end + 1]
        return msg

    def _dispatch(self, msg):
        listener = self.listeners.get(msg.get('sessionId'))
        if listener and 'method' in msg:
            listener(msg['method'], msg.get('params', {}))

    def call(self, method, params=None, session=None):
        self.next_id += 1
        msg = {'id': self.next_id, 'method': method, 'params': params or {}}
        if session:
            msg['sessionId'] = session
        data = json.dumps(msg).encode() + b'\0'
        try:
            while data:
                data = data[os.write(self.cmd_w, data):]
        except OSError as e:
            raise CheckError('cannot talk to Chromium (%s): %s' % (e, self.log_tail()))
        while True:
            reply = self._read(self.deadline)
            if reply.get('id') == self.next_id:
                if 'error' in reply:
                    raise CheckError('%s: %s' % (method, reply['error'].get('message')))
                return reply.get('result', {})
            self._dispatch(reply)

    def wait(self, done, seconds=None):
        """Handles events until done() is true, or for `seconds` when done never becomes true."""
        until = self.deadline if seconds is None else time.monotonic() + seconds
        while not done():
            msg = self._read(until)
            if msg is None:
                return
            self._dispatch(msg)

    def close(self):
        try:
            os.write(self.cmd_w, json.dumps({'id': 0, 'method': 'Browser.close'}).encode() + b'\0')
            self.proc.wait(timeout=3)
        except (OSError, subprocess.TimeoutExpired):
            pass
        try:  # its own process group: the browser plus its zygote, GPU and renderer processes
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        os.close(self.cmd_w)
        os.close(self.res_r)


class Tab:
    """One page target, attached in flat mode, recording what goes wrong while it loads."""

    def __init__(self, browser, host):
        self.b, self.host, self.loads = browser, host, 0
        self.console, self.exceptions, self.failed, self.external, self.urls = [], [], [], [], {}
        self.skip = set()  # request ids already reported, or the browser's own favicon fetch
        self.target = browser.call('Target.createTarget', {'url': 'about:blank'})['targetId']
        self.session = browser.call('Target.attachToTarget',
                                    {'targetId': self.target, 'flatten': True})['sessionId']
        browser.listeners[self.session] = self.on_event
        for domain in ('Page', 'Runtime', 'Log', 'Network'):
            self.call(domain + '.enable')

    def call(self, method, params=None):
        return self.b.call(method, params, self.session)

    def on_event(self, method, p):
        if method == 'Page.loadEventFired':
            self.loads += 1
        elif method == 'Runtime.consoleAPICalled' and p['type'] in ('error', 'warning', 'assert'):
            text = ' '.join(str(a.get('value', a.get('description', a.get('type')))) for a in p['args'])
            frames = p.get('stackTrace', {}).get('callFrames') or [{}]
            where = '%s:%s' % (frames[0].get('url', '?'), frames[0].get('lineNumber', -1) + 1)
            self.console.append(one_line('console.%s: %s (%s)' % (p['type'], text, where)))
        elif method == 'Log.entryAdded' and p['entry']['level'] in ('error', 'warning') \
                and p['entry'].get('source') != 'network':  # "Failed to load resource" duplicates
            e = p['entry']
            self.console.append(one_line('%s: %s (%s)' % (e['level'], e['text'], e.get('url', '?'))))
        elif method == 'Runtime.exceptionThrown':
            d = p['exceptionDetails']
            exc = d.get('exception', {})
            desc = exc.get('description') or '%s %s' % (d.get('text', ''), exc.get('value', ''))
            self.exceptions.append('%s (%s:%s)' % ((desc.splitlines() or ['?'])[0], d.get('url', '?'),
                                                   d.get('lineNumber', -1) + 1))
        elif method in ('Network.requestWillBeSent', 'Network.webSocketCreated'):
            url = p['request']['url'] if 'request' in p else p['url']
            self.urls[p['requestId']] = url
            parts = urlsplit(url)
            if parts.path == '/favicon.ico' and p.get('type') == 'Other':  # not asked for by the page
                self.skip.add(p['requestId'])
            if parts.scheme in ('http', 'https', 'ws', 'wss') and parts.hostname != self.host \
                    and url not in self.external:
                self.external.append(url)
        elif p.get('requestId') in self.skip:
            pass
        elif method == 'Network.responseReceived' and p['response']['status'] >= 400:
            r = p['response']
            self.failed.append('HTTP %s %s' % (r['status'], r['url']))
            self.skip.add(p['requestId'])  # Chromium then reports it as failed (ERR_ABORTED) too
        elif method == 'Network.loadingFailed':
            url = self.urls.get(p['requestId'], '?')
            self.failed.append('%s %s' % (p['errorText'], url))

    def navigate(self, url):
        self.loads = 0
        error = self.call('Page.navigate', {'url': url}).get('errorText')
        if error:  # an HTTP error page still loads; a network error may not
            if not any(url in f for f in self.failed):
                self.failed.append('%s %s' % (error, url))
            self.b.wait(lambda: self.loads > 0, seconds=3)
            return False
        self.b.wait(lambda: self.loads > 0)
        return True

    def evaluate(self, expression):
        res = self.call('Runtime.evaluate', {'expression': expression, 'returnByValue': True})
        if 'exceptionDetails' in res:
            raise CheckError('script failed in page: ' + res['exceptionDetails'].get('text', '?'))
        return res['result'].get('value')

    def close(self):
        self.b.call('Target.closeTarget', {'targetId': self.target})
        del self.b.listeners[self.session]


def one_line(text):
    return ' '.join(str(text).split())


def find_chromium():
    if os.environ.get('CHROMIUM'):
        return shutil.which(os.environ['CHROMIUM'])
    return next(filter(None, map(shutil.which, ('chromium', 'chromium-browser', 'google-chrome'))), None)


def start_browser(exe, hosts, workdir, deadline):
    """Starts Chromium in new headless mode, or in plain --headless if it refuses the former."""
    for headless in ('--headless=new', '--headless'):
        browser = Browser(exe, headless, hosts, workdir, deadline)
        try:
            browser.call('Browser.getVersion')
            return browser
        except BaseException as e:  # also on SIGTERM / Ctrl-C: never leave Chromium behind
            browser.close()
            if not isinstance(e, CheckError) or time.monotonic() >= deadline or headless == '--headless':
                raise


def login(browser, args):
    tab = Tab(browser, urlsplit(args.login_url).hostname)
    if not tab.navigate(args.login_url):
        raise CheckError('login page did not load: ' + '; '.join(tab.failed))
    tab.loads, tab.failed = 0, []
    result = tab.evaluate(LOGIN_JS % (json.dumps(args.login_field), json.dumps(args.login_value)))
    if result != 'ok':
        raise CheckError(result)
    browser.wait(lambda: tab.loads > 0)
    if tab.failed:
        raise CheckError('; '.join(tab.failed))
    tab.close()


def check_width(browser, url, width, shot_dir):
    tab = Tab(browser, urlsplit(url).hostname)
    mobile = width < 600
    tab.call('Emulation.setDeviceMetricsOverride', {'width': width, 'height': 740 if mobile else 800,
                                                    'deviceScaleFactor': 1, 'mobile': mobile})
    tab.call('Emulation.setTouchEmulationEnabled', {'enabled': mobile})
    page = {'text': '', 'svg_count': 0, 'scroll_width': 0, 'inner_width': width}
    if tab.navigate(url):
        browser.wait(lambda: False, seconds=SETTLE)
        info = tab.evaluate(COLLECT_JS)
        page = {'text': info['text'], 'svg_count': info['svg'],
                'scroll_width': info['scrollWidth'], 'inner_width': info['innerWidth']}
        if shot_dir:
            size = tab.call('Page.getLayoutMetrics')['cssContentSize']
            clip = {'x': 0, 'y': 0, 'width': max(size['width'], 1), 'scale': 1,
                    'height': min(max(size['height'], 1), 10000)}
            shot = tab.call('Page.captureScreenshot', {'format': 'png', 'clip': clip,
                                                       'captureBeyondViewport': True})
            with open(os.path.join(shot_dir, 'width-%d.png' % width), 'wb') as f:
                f.write(base64.b64decode(shot['data']))
    tab.close()
    return {'console_errors': tab.console, 'exceptions': tab.exceptions,
            'failed_requests': tab.failed, 'external_requests': tab.external,
            # A mobile viewport zooms out to fit content wider than the device, which raises
            # innerWidth to match; so the emulated width counts too.
            'svg_count': page['svg_count'],
            'overflow': page['scroll_width'] > min(page['inner_width'], width),
            'scroll_width': page['scroll_width'], 'inner_width': page['inner_width'],
            'text': page['text']}


def problems(widths, expected):
    reasons, missing = [], []
    for width, r in widths.items():
        reasons += ['%spx: %s' % (width, c) for c in r['console_errors']]
        reasons += ['%spx: uncaught exception: %s' % (width, e) for e in r['exceptions']]
        reasons += ['%spx: failed request: %s' % (width, f) for f in r['failed_requests']]
        reasons += ['%spx: external request: %s' % (width, u) for u in r['external_requests']]
        if r['overflow']:
            zoomed = r['inner_width'] > int(width)
            reasons.append('%spx: horizontal overflow: document is %spx wide%s' % (
                width, r['scroll_width'], ' (the mobile viewport zoomed out to %spx: something too '
                'wide, or no <meta name=viewport>?)' % r['inner_width'] if zoomed else ''))
        for text in expected:
            if one_line(text) not in one_line(r['text']):
                reasons.append('%spx: expected text not found: %r' % (width, text))
                missing += [text] if text not in missing else []
    return reasons, missing


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    for name in ('url', '--login-url', '--login-field', '--login-value', '--screenshot-dir'):
        parser.add_argument(name)
    parser.add_argument('--width', type=int, action='append')
    parser.add_argument('--expect', action='append', default=[])
    parser.add_argument('--timeout', type=float, default=30, help='seconds for the whole run')
    args = parser.parse_args()
    login_args = (args.login_url, args.login_field, args.login_value)
    if any(a is not None for a in login_args) and None in login_args:
        parser.error('--login-url, --login-field and --login-value go together')
    exe = find_chromium()
    if not exe:
        print('browser-check: Chromium not found (looked for chromium, chromium-browser, '
              'google-chrome on PATH; set CHROMIUM=/path/to/chrome, or apt-get install -y chromium)',
              file=sys.stderr)
        return 2
    if args.screenshot_dir:
        os.makedirs(args.screenshot_dir, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the cleanup below runs
    deadline = time.monotonic() + args.timeout
    hosts = {urlsplit(u).hostname for u in (args.url, args.login_url) if u} - {None}
    workdir = tempfile.mkdtemp(prefix='browser-check-')
    widths, browser, reasons, step = {}, None, [], 'starting Chromium'
    try:
        browser = start_browser(exe, hosts, workdir, deadline)
        if args.login_url:
            step = 'logging in at ' + args.login_url
            login(browser, args)
        for width in args.width or [1280, 375]:
            step = 'checking %s at %spx' % (args.url, width)
            widths[str(width)] = check_width(browser, args.url, width, args.screenshot_dir)
    except (CheckError, OSError) as e:
        reasons.append('%s: %s' % (step, one_line(e)))
    finally:
        if browser:
            browser.close()
        shutil.rmtree(workdir, ignore_errors=True)
    more, missing = problems(widths, args.expect)
    reasons += more
    print(json.dumps({'widths': widths, 'missing_expected': missing}, indent=2))
    for reason in reasons:
        print('browser-check: ' + reason, file=sys.stderr)
    return 1 if reasons else 0


if __name__ == '__main__':
    sys.exit(main())
