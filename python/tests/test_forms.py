"""Form and file parameters: urlencoded and multipart bodies, UploadFile, malformed input."""

from typing import Annotated, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_bolt._forms import FormError, parse_form
from django_bolt.binding import compile_binding
from django_bolt.exceptions import RequestValidationError
from django_bolt.params import File, Form, Query
from django_bolt.request import Request
from django_bolt.uploads import UploadFile

BOUNDARY = "----bolt-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
URLENCODED = "application/x-www-form-urlencoded"


def multipart_body(*parts, boundary=BOUNDARY):
    """parts: (name, value) for fields, (name, filename, content_type, content) for files."""
    chunks = []
    for part in parts:
        chunks.append(f"--{boundary}\r\n".encode())
        if len(part) == 2:
            name, value = part
            chunks.append(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
            chunks.append(value if isinstance(value, bytes) else value.encode())
        else:
            name, filename, content_type, content = part
            chunks.append(f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'.encode())
            if content_type:
                chunks.append(f"Content-Type: {content_type}\r\n".encode())
            chunks.append(b"\r\n" + content)
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks)


def bind(fn, body, content_type=MULTIPART, query=b""):
    plan = compile_binding(fn, "POST", "/upload")
    headers = {"content-type": content_type} if content_type is not None else {}
    return plan.bind(Request("POST", "/upload", None, query, headers, body, None))


def errors_of(fn, body, content_type=MULTIPART):
    with pytest.raises(RequestValidationError) as info:
        bind(fn, body, content_type)
    return info.value.errors()


class TestUrlencoded:
    def test_fields(self):
        def login(
            username: str = Form(), password: Annotated[str, Form("pass")] = "", remember: bool = Form(default=False)
        ):
            return None

        assert bind(login, b"username=ann+lee&pass=p%26w&remember=on", URLENCODED) == (("ann lee", "p&w", True), {})

    def test_blank_values_absent_and_content_type_parameters_allowed(self):
        def handler(note: str = Form(default="none"), n: Optional[int] = Form(default=None)):
            return None

        assert bind(handler, b"note=&n=3", "Application/X-WWW-Form-Urlencoded; charset=utf-8") == (("none", 3), {})

    def test_repeated_names(self):
        def handler(tag: list[str] = Form(), last: str = Form("tag")):
            return None

        assert bind(handler, b"tag=a&tag=b", URLENCODED) == ((["a", "b"], "b"), {})

    def test_errors(self):
        def handler(age: int = Form(), name: str = Form(min_length=2)):
            return None

        assert errors_of(handler, b"age=x&name=a", URLENCODED) == [
            {
                "loc": ["form", "age"],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "type": "int_parsing",
            },
            {"loc": ["form", "name"], "msg": "String should have at least 2 characters", "type": "string_too_short"},
        ]

    def test_other_content_type_is_an_empty_form(self):
        def handler(name: str = Form()):
            return None

        for content_type in ("application/json", None):
            assert errors_of(handler, b'{"name": "x"}', content_type) == [
                {"loc": ["form", "name"], "msg": "Field required", "type": "missing"}
            ]

    def test_form_with_query(self):
        def handler(name: str = Form(), page: int = Query(default=1)):
            return None

        assert bind(handler, b"name=x", URLENCODED, b"page=2") == (("x", 2), {})


class TestMultipartFields:
    def test_fields_and_lists(self):
        def handler(title: str = Form(), ids: list[int] = Form("id"), missing: Optional[str] = Form(default=None)):
            return None

        body = multipart_body(("title", "Hello é"), ("id", "1"), ("id", "2"))
        assert bind(handler, body) == (("Hello é", [1, 2], None), {})

    def test_part_charset(self):
        body = (
            (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="t"\r\n'
                f"Content-Type: text/plain; charset=latin-1\r\n\r\n"
            ).encode()
            + "é".encode("latin-1")
            + f"\r\n--{BOUNDARY}--\r\n".encode()
        )
        form = parse_form(MULTIPART, body)
        assert form.fields == {"t": ["é"]}

    def test_unknown_part_charset(self):
        body = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="t"\r\n'
            f"Content-Type: text/plain; charset=no-such-codec\r\n\r\nx\r\n--{BOUNDARY}--\r\n"
        ).encode()
        with pytest.raises(FormError, match="charset"):
            parse_form(MULTIPART, body)


class TestFiles:
    def body(self):
        return multipart_body(
            ("caption", "holiday"),
            ("photo", "a.png", "image/png", b"\x89PNG-1"),
            ("photo", "b.png", "image/png", b"\x89PNG-22"),
            ("doc", "notes.txt", None, b"plain"),
        )

    def test_bytes(self):
        def handler(doc: bytes = File()):
            return doc

        assert bind(handler, self.body()) == ((b"plain",), {})

    def test_dict_and_list_of_dicts(self):
        def handler(doc: dict = File(), photos: list[dict] = File("photo")):
            return None

        (doc, photos), _ = bind(handler, self.body())
        assert doc == {"filename": "notes.txt", "content_type": "application/octet-stream", "size": 5, "content": b"plain"}
        assert photos == [
            {"filename": "a.png", "content_type": "image/png", "size": 6, "content": b"\x89PNG-1"},
            {"filename": "b.png", "content_type": "image/png", "size": 7, "content": b"\x89PNG-22"},
        ]

    def test_upload_file(self):
        def handler(photo: Annotated[UploadFile, File()], caption: str = Form()):
            return None

        (photo, caption), _ = bind(handler, self.body())
        assert caption == "holiday"
        assert isinstance(photo, UploadFile)
        # A scalar file parameter gets the last file sent under its name.
        assert (photo.filename, photo.content_type, photo.size) == ("b.png", "image/png", 7)
        assert photo.headers["content-type"] == "image/png"
        assert 'filename="b.png"' in photo.headers["content-disposition"]
        assert photo.read(4) == b"\x89PNG"
        assert photo.read() == b"-22"
        photo.seek(0)
        assert photo.read() == b"\x89PNG-22"
        assert photo.getvalue() == b"\x89PNG-22"
        assert photo.file.name == "b.png"  # a Django File, for storage backends

    def test_list_of_upload_files(self):
        def handler(photo: list[UploadFile] = File(), bodies: list[bytes] = File("photo")):
            return None

        (uploads, bodies), _ = bind(handler, self.body())
        assert [u.filename for u in uploads] == ["a.png", "b.png"]
        assert bodies == [b"\x89PNG-1", b"\x89PNG-22"]

    def test_empty_filename_is_a_file(self):
        def handler(doc: Optional[bytes] = File(default=None), other: Optional[str] = Form(default=None)):
            return None

        assert bind(handler, multipart_body(("doc", "", "application/octet-stream", b""))) == ((b"", None), {})

    def test_missing_file(self):
        def handler(upload: UploadFile = File(), caption: str = Form()):
            return None

        assert errors_of(handler, multipart_body(("caption", "x"), ("upload", "not a file"))) == [
            {"loc": ["file", "upload"], "msg": "Field required", "type": "missing"}
        ]

    def test_optional_file(self):
        def handler(upload: Optional[UploadFile] = File(default=None)):
            return upload

        assert bind(handler, multipart_body(("x", "y"))) == ((None,), {})

    def test_unsupported_file_annotation(self):
        def handler(upload: int = File()):
            return upload

        with pytest.raises(TypeError, match="File"):
            compile_binding(handler, "POST", "/")

    def test_plan_flags(self):
        def handler(upload: bytes = File()):
            return upload

        plan = compile_binding(handler, "POST", "/")
        assert plan.meta["needs_form_parsing"] is True
        assert plan.needs == {"body", "headers", "form"}
        assert plan.needs_await is False

    def test_form_on_get_is_rejected(self):
        def handler(upload: bytes = File()):
            return upload

        with pytest.raises(TypeError, match="cannot have body parameters"):
            compile_binding(handler, "GET", "/")


class TestClientFileNames:
    """The client's file name is reduced as Django reduces it for its own uploads: a
    name a handler may pass to a storage (``field.save(up.filename, up.file)``)."""

    @pytest.mark.parametrize(
        "sent, kept",
        [
            ("report.pdf", "report.pdf"),
            ("../../etc/passwd", "passwd"),
            ("/abs/path/photo.jpg", "photo.jpg"),
            ("C:\\Users\\me\\notes.txt", "notes.txt"),
            ("dir\\..\\evil.sh", "evil.sh"),
            ("a\x00b\x1f.txt", "ab.txt"),
            ("line\nbreak.txt", "linebreak.txt"),
            ("..", ""),
            (".", ""),
            ("dir/", ""),
            ("", ""),
            ("caf\u00e9 \u65e5\u672c.txt", "caf\u00e9 \u65e5\u672c.txt"),
        ],
    )
    def test_name_kept(self, sent, kept):
        body = multipart_body(("f", sent, None, b"x")).replace(f'filename="{sent}"'.encode(), f'filename="{sent}"'.encode("utf-8"))
        assert parse_form(MULTIPART, body).files["f"][0].filename == kept

    def test_long_name_cut_to_255_keeping_its_extension(self):
        name = parse_form(MULTIPART, multipart_body(("f", "n" * 300 + ".tar.gz", None, b"x"))).files["f"][0].filename
        assert len(name) == 255
        assert name.endswith("n.gz")


class TestMalformedMultipart:
    @pytest.mark.parametrize(
        "content_type, body",
        [
            ("multipart/form-data", multipart_body(("a", "1"))),
            ("multipart/form-data; boundary=", b"--\r\n"),
            (MULTIPART, multipart_body(("a", "1"))[:-12]),
            (MULTIPART, b""),
            (MULTIPART, b"garbage without boundary"),
            (MULTIPART, f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode()),
            (MULTIPART, f"--{BOUNDARY}\r\nBroken header line\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode()),
        ],
    )
    def test_reported_once_as_422(self, content_type, body):
        def handler(a: Optional[str] = Form(default=None), f: Optional[bytes] = File(default=None)):
            return None

        errors = errors_of(handler, body, content_type)
        assert len(errors) == 1
        assert errors[0]["loc"] == ["body"]
        assert errors[0]["type"] == "multipart_invalid"
        assert errors[0]["msg"]

    def test_files_read_before_the_error_are_closed(self, monkeypatch):
        closed = []
        real_close = UploadFile.close
        monkeypatch.setattr(UploadFile, "close", lambda self: (closed.append(self.filename), real_close(self))[1])
        body = multipart_body(("f", "one.bin", None, b"x" * 100))
        body = body[: -len(f"--{BOUNDARY}--\r\n")] + f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f"; filename="two.bin"\r\n\r\ncut'.encode()
        with pytest.raises(FormError):
            parse_form(MULTIPART, body, spool_threshold=10)
        assert closed == ["one.bin", "two.bin"]

    def test_undecodable_part_header_is_named_without_python_internals(self):
        body = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f"; filename="\xff"\r\n\r\nx\r\n--{BOUNDARY}--\r\n'
        with pytest.raises(FormError) as info:
            parse_form(MULTIPART, body.encode("latin-1"))
        assert str(info.value) == "Malformed multipart body: Segment header failed to decode"

    def test_other_errors_still_reported(self):
        def handler(a: str = Form(), n: int = Query()):
            return None

        plan = compile_binding(handler, "POST", "/")
        request = Request("POST", "/", None, b"n=x", {"content-type": MULTIPART}, b"junk", None)
        with pytest.raises(RequestValidationError) as info:
            plan.bind(request)
        assert [e["type"] for e in info.value.errors()] == ["multipart_invalid", "int_parsing"]


def _form_handler(a: Optional[list[str]] = Form(default=None), f: Optional[list[dict]] = File(default=None)):
    return None


_FORM_PLAN = compile_binding(_form_handler, "POST", "/")


def _bind_or_422(content_type, body):
    request = Request("POST", "/", None, None, {"content-type": content_type}, body, None)
    try:
        _FORM_PLAN.bind(request)
    except RequestValidationError as exc:
        assert [e["type"] for e in exc.errors()] == ["multipart_invalid"]


_well_formed_prefix = st.sampled_from(
    [b"", f"--{BOUNDARY}\r\n".encode(), f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\n'.encode()]
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=_well_formed_prefix, tail=st.binary(max_size=400))
def test_multipart_parser_never_fails_otherwise(prefix, tail):
    _bind_or_422(MULTIPART, prefix + tail)


@settings(max_examples=200)
@given(content_type=st.text(max_size=80), body=st.binary(max_size=200))
def test_any_content_type_never_fails_otherwise(content_type, body):
    _bind_or_422("multipart/form-data; " + content_type, body)
    _bind_or_422(content_type, body)


@settings(max_examples=200)
@given(body=st.binary(max_size=300))
def test_urlencoded_never_fails(body):
    _bind_or_422(URLENCODED, body)
