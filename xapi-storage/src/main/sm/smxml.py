"""The plugins' own XML-RPC request reader and response writer.

Python's xmlrpc.client costs most of a plugin's start-up (it imports http.client, email, ssl, decimal...),
while a plugin only needs to read one <methodCall> and print one <methodResponse>. This module does both with
the C expat parser. Values map as xmlrpc.client maps them: string (and an untyped value), int/i4/i8, boolean,
double, struct, array, nil; dateTime.iso8601 and base64 are read as xmlrpc.client reads them. A value the
writer does not know falls back to xmlrpc.client. The XenAPI callbacks (smcore.Callbacks) are written and read
here too: dumps_call and loads_response; DateTime writes a dateTime.iso8601."""

from xml.parsers import expat


class ParseError(Exception):
    pass


class Fault(Exception):
    """A methodResponse's <fault>."""

    def __init__(self, code, text):
        super().__init__("%s: %s" % (code, text))
        self.code, self.text = code, text


class DateTime:
    """A value written as <dateTime.iso8601> (the text is xmlrpc.client's form, e.g. 19700101T00:00:00Z)."""

    def __init__(self, value):
        self.value = value


_SCALARS = {
    "string": lambda s: s,
    "int": int, "i4": int, "i8": int,
    "double": float,
}


class _Reader:
    """Builds the values of a methodCall from expat events."""

    def __init__(self):
        self.stack = []  # open containers: [kind, value, pending member name]
        self.text = []
        self.method = None
        self.params = []
        self.path = []
        self.typed = False  # the current <value> had a type element
        self.fault = None

    def start(self, tag, attrs):
        self.path.append(tag)
        self.text = []
        if tag == "value":
            self.typed = False
        elif tag == "struct":
            self.typed = True
            self.stack.append(["struct", {}, None])
        elif tag == "array":
            self.typed = True
            self.stack.append(["array", [], None])
        elif tag in _SCALARS or tag in ("boolean", "nil", "dateTime.iso8601", "base64"):
            self.typed = True
        elif tag not in ("methodCall", "methodResponse", "fault", "methodName", "params", "param", "member", "name",
                         "data"):
            raise ParseError("unknown element <%s>" % tag)

    def chars(self, data):
        self.text.append(data)

    def _value(self, v):
        if self.stack:
            top = self.stack[-1]
            if top[0] == "array":
                top[1].append(v)
            else:
                if top[2] is None:
                    raise ParseError("struct member without a name")
                top[1][top[2]] = v
                top[2] = None
        elif "param" in self.path:
            self.params.append(v)
        elif "fault" in self.path:
            self.fault = v
        else:
            raise ParseError("value outside a param")

    def end(self, tag):
        text = "".join(self.text)
        self.path.pop()
        if tag == "methodName":
            self.method = text
        elif tag == "name":
            if not self.stack or self.stack[-1][0] != "struct":
                raise ParseError("<name> outside a struct")
            self.stack[-1][2] = text
        elif tag in _SCALARS:
            try:
                self._value(_SCALARS[tag](text))
            except ValueError:
                raise ParseError("bad <%s> %r" % (tag, text))
        elif tag == "boolean":
            if text not in ("0", "1"):
                raise ParseError("bad <boolean> %r" % text)
            self._value(text == "1")
        elif tag == "nil":
            self._value(None)
        elif tag in ("dateTime.iso8601", "base64"):
            import xmlrpc.client  # rare: read exactly as xmlrpc.client reads it
            self._value(xmlrpc.client.DateTime(text) if tag == "dateTime.iso8601"
                        else xmlrpc.client.Binary(__import__("base64").b64decode(text)))
        elif tag in ("struct", "array"):
            kind, value, _ = self.stack.pop()
            self._value(value)
        elif tag == "value" and not self.typed:
            self._value(text)  # an untyped value is a string
        if tag == "value":
            self.typed = True  # the enclosing value (if any) is a container
        self.text = []


def loads(document):
    """(params tuple, method name) of a methodCall, as xmlrpc.client.loads answers; ParseError otherwise."""
    r = _parse(document)
    return tuple(r.params), r.method


def loads_response(document):
    """The one value of a methodResponse; raises Fault for a <fault>, ParseError for anything else."""
    r = _parse(document)
    if r.fault is not None:
        if not isinstance(r.fault, dict):
            raise ParseError("a fault that is not a struct")
        raise Fault(r.fault.get("faultCode"), r.fault.get("faultString"))
    if len(r.params) != 1 or r.method is not None:
        raise ParseError("a methodResponse holds one value")
    return r.params[0]


def _parse(document):
    r = _Reader()
    p = expat.ParserCreate()
    p.StartElementHandler = r.start
    p.EndElementHandler = r.end
    p.CharacterDataHandler = r.chars
    try:
        p.Parse(document, True)
    except expat.ExpatError as e:
        raise ParseError(str(e))
    if r.stack:
        raise ParseError("unclosed container")
    return r


def _escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Unknown(Exception):
    pass


def _write(v, out):
    if v is None:
        out.append("<value><nil/></value>")
    elif v is True or v is False:
        out.append("<value><boolean>%d</boolean></value>" % (1 if v else 0))
    elif isinstance(v, int):
        if not -2 ** 31 <= v < 2 ** 31:
            raise _Unknown()  # xmlrpc.client refuses it too: let it say so
        out.append("<value><int>%d</int></value>" % v)
    elif isinstance(v, float):
        out.append("<value><double>%s</double></value>" % repr(v))
    elif isinstance(v, str):
        out.append("<value><string>%s</string></value>" % _escape(v))
    elif isinstance(v, DateTime):
        out.append("<value><dateTime.iso8601>%s</dateTime.iso8601></value>" % _escape(v.value))
    elif isinstance(v, dict):
        out.append("<value><struct>\n")
        for k, x in v.items():
            if not isinstance(k, str):
                raise _Unknown()
            out.append("<member>\n<name>%s</name>\n" % _escape(k))
            _write(x, out)
            out.append("\n</member>\n")
        out.append("</struct></value>")
    elif isinstance(v, (list, tuple)):
        out.append("<value><array><data>\n")
        for x in v:
            _write(x, out)
            out.append("\n")
        out.append("</data></array></value>")
    else:
        raise _Unknown()


def dumps_response(value):
    """A methodResponse carrying value (None as <nil/>)."""
    out = ["<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n"]
    try:
        _write(value, out)
    except _Unknown:
        import xmlrpc.client
        return xmlrpc.client.dumps((value,), methodresponse=True, allow_none=True)
    out.append("\n</param>\n</params>\n</methodResponse>\n")
    return "".join(out)


def dumps_call(method, params):
    """A methodCall of params (a tuple); a value the writer does not know falls back to xmlrpc.client."""
    out = ["<?xml version='1.0'?>\n<methodCall>\n<methodName>%s</methodName>\n<params>\n" % _escape(method)]
    try:
        for v in params:
            out.append("<param>\n")
            _write(v, out)
            out.append("\n</param>\n")
    except _Unknown:
        import xmlrpc.client
        return xmlrpc.client.dumps(tuple(_plain(v) for v in params), method, allow_none=True)
    out.append("</params>\n</methodCall>\n")
    return "".join(out)


def _plain(v):
    """v with DateTime replaced by xmlrpc.client's (for the fallback writer)."""
    if isinstance(v, DateTime):
        import xmlrpc.client
        return xmlrpc.client.DateTime(v.value)
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def dumps_fault(code, text):
    """A methodResponse carrying a fault."""
    return ("<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n"
            "<member>\n<name>faultCode</name>\n<value><int>%d</int></value>\n</member>\n"
            "<member>\n<name>faultString</name>\n<value><string>%s</string></value>\n</member>\n"
            "</struct></value>\n</fault>\n</methodResponse>\n" % (code, _escape(text)))
