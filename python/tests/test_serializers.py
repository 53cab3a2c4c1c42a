"""Serializers: validation, dumping, variants, Django models, and their use in routes."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from django_bolt import BoltAPI
from django_bolt.exceptions import RequestValidationError
from django_bolt.serializers import (
    URL,
    Email,
    HexColor,
    IPv6,
    Meta,
    Nested,
    Phone,
    PositiveInt,
    Serializer,
    Username,
    computed_field,
    create_serializer,
    create_serializer_set,
    field,
    field_validator,
    model_validator,
)
from django_bolt.testing import TestClient


class SignUp(Serializer, rename="camel"):
    user_name: Username
    email: Email
    password: str = field(write_only=True)

    @field_validator("email")
    def low(cls, v):
        return v.lower()

    @computed_field
    def handle(self) -> str:
        return "@" + self.user_name


def errors_of(fn, *args):
    with pytest.raises(RequestValidationError) as info:
        fn(*args)
    return info.value.errors()


# -- validation -----------------------------------------------------------------------


def test_the_documented_example():
    data = {"userName": "ann", "email": "A@B.io", "password": "x" * 8}
    assert SignUp.model_validate(data).dump() == {"userName": "ann", "email": "a@b.io", "handle": "@ann"}


def test_keyword_only_construction():
    with pytest.raises(TypeError):
        SignUp("ann", "a@b.io", "pw")


class Order(Serializer):
    qty: int
    note: str
    kind: Literal["a", "b"] = "a"

    @field_validator("qty")
    def positive(cls, v):
        if v <= 0:
            raise ValueError("qty must be positive")

    @field_validator("note")
    def not_blank(cls, v):
        if not v.strip():
            raise ValueError("note is blank")
        return v.strip()

    @model_validator
    def consistent(self):
        if self.kind == "b" and self.qty > 10:
            raise ValueError("kind b takes at most 10")


def test_two_bad_fields_give_two_errors():
    errors = errors_of(lambda: Order(qty=0, note=" "))
    assert errors == [
        {"loc": ["body", "qty"], "msg": "qty must be positive", "type": "value_error"},
        {"loc": ["body", "note"], "msg": "note is blank", "type": "value_error"},
    ]


def test_type_error_and_validator_error_are_reported_together():
    errors = errors_of(Order.model_validate, {"qty": "x", "note": ""})
    assert [e["loc"] for e in errors] == [["body", "qty"], ["body", "note"]]
    assert errors[0]["type"] == "validation_error" and errors[1]["type"] == "value_error"


def test_missing_fields_are_all_reported():
    errors = errors_of(Order.model_validate, {})
    assert [e["loc"] for e in errors] == [["body", "qty"], ["body", "note"]]


def test_validator_result_replaces_the_value_and_none_keeps_it():
    order = Order(qty=3, note="  hi ")
    assert (order.qty, order.note) == (3, "hi")


def test_model_validator_runs_after_fields():
    assert errors_of(lambda: Order(qty=11, note="x", kind="b")) == [
        {"loc": ["body"], "msg": "kind b takes at most 10", "type": "value_error"}
    ]


def test_literal_checked_on_direct_construction():
    errors = errors_of(lambda: Order(qty=1, note="x", kind="c"))
    assert errors[0]["loc"] == ["body", "kind"]


class Limited(Serializer):
    name: Annotated[str, Meta(max_length=3)]
    n: PositiveInt


def test_meta_constraints_checked_by_model_validate_only():
    Limited(name="toolong", n=-1)  # direct construction does not check Meta
    errors = errors_of(Limited.model_validate, {"name": "toolong", "n": -1})
    assert [e["loc"] for e in errors] == [["body", "name"], ["body", "n"]]
    assert "length <= 3" in errors[0]["msg"]


def test_model_validate_json_and_malformed_json():
    assert Limited.model_validate_json(b'{"name":"ab","n":2}') == Limited(name="ab", n=2)
    with pytest.raises(msgspec.DecodeError):
        Limited.model_validate_json(b"{nope")


def test_validate_reruns_conversion():
    with pytest.raises(RequestValidationError):
        Limited(name="toolong", n=1).validate()


@pytest.mark.parametrize(
    "alias, good, bad",
    [
        (Email, "a@b.io", "a@b"),
        (URL, "https://x.io/p", "ftp://x.io"),
        (HexColor, "#a0B1c2", "#abc"),
        (Phone, "+4915112345678", "0123"),
        (IPv6, "::1", "1::2::3"),
    ],
)
def test_constrained_aliases(alias, good, bad):
    assert msgspec.convert(good, alias) == good
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(bad, alias)


# -- output ---------------------------------------------------------------------------


class Profile(Serializer):
    bio: str
    secret: str = field(write_only=True, default="")


class Account(Serializer):
    id: int
    name: str = field(alias="fullName")
    profile: Annotated[Profile, Nested(Profile)]
    internal: str = field(exclude=True, default="x")
    nickname: str | None = None

    @computed_field(alias="displayName")
    def display(self) -> str:
        return self.name.title()

    class Config:
        write_only = set()
        field_sets = {"list": ["id", "name"], "detail": ["id", "name", "profile", "display"]}


def make_account():
    return Account(id=1, name="ann lee", profile={"bio": "hi", "secret": "s"})


def test_dump_hides_write_only_and_excluded_and_adds_computed_alias():
    out = make_account().dump()
    assert out == {"id": 1, "name": "ann lee", "profile": {"bio": "hi"}, "nickname": None, "displayName": "Ann Lee"}


def test_dump_options():
    account = make_account()
    assert "nickname" not in account.dump(exclude_none=True)
    assert "nickname" not in account.dump(exclude_defaults=True)
    assert Profile(bio="x").dump(exclude_defaults=True) == {"bio": "x"}
    assert "tags" not in BookFlat(id=1, title="t", author=1).dump(exclude_defaults=True)  # default_factory
    assert account.dump(by_alias=True)["fullName"] == "ann lee"
    assert msgspec.json.decode(account.dump_json()) == account.dump()
    assert Account.dump_many([account, account]) == [account.dump()] * 2
    assert msgspec.json.decode(Account.dump_many_json([account])) == [account.dump()]


def test_nested_accepts_dict_and_checks_it():
    assert make_account().profile == Profile(bio="hi", secret="s")
    errors = errors_of(lambda: Account(id=1, name="a", profile={"bio": 5}))
    assert errors[0]["loc"][:3] == ["body", "profile", "bio"]


class Tagged(Serializer):
    tags: Annotated[list[Profile], Nested(Profile, many=True, max_items=2)]


def test_nested_many_limits_items():
    assert len(Tagged(tags=[{"bio": "a"}, Profile(bio="b")]).tags) == 2
    assert errors_of(lambda: Tagged(tags=[{"bio": "a"}] * 3))[0]["loc"] == ["body", "tags"]


def test_subset_fields_only_exclude_use():
    account = make_account()
    small = Account.subset("id", "name", "display")
    assert small.__name__ == "AccountSubset"
    assert small.from_parent(account).dump() == {"id": 1, "name": "ann lee", "displayName": "Ann Lee"}
    assert Account.subset("id", name="JustId").__name__ == "JustId"
    listed = Account.fields("list")
    assert listed.__name__ == "AccountList"
    assert listed(id=1, name="x").dump() == {"id": 1, "name": "x"}
    assert Account.only("id", "name").dump(account) == {"id": 1, "name": "ann lee"}
    assert Account.exclude("profile", "display", "nickname").dump(account) == {"id": 1, "name": "ann lee"}
    assert Account.use("detail").dump(account) == {
        "id": 1,
        "name": "ann lee",
        "profile": {"bio": "hi"},
        "displayName": "Ann Lee",
    }
    assert Account.only("id", "name").exclude("name").dump_many([account]) == [{"id": 1}]


def test_subset_keeps_validators_and_computed():
    small = SignUp.subset("user_name", "email", "handle")
    assert small(user_name="ann", email="A@B.IO").dump() == {"userName": "ann", "email": "a@b.io", "handle": "@ann"}


def test_field_set_errors():
    with pytest.raises(ValueError, match="list"):
        Account.fields("nope")
    with pytest.raises(TypeError):
        Account.fields("")
    with pytest.raises(TypeError, match="unknown fields"):

        class Bad(Serializer):
            a: int

            class Config:
                field_sets = {"x": ["b"]}


def test_rename_both_ways():
    parsed = SignUp.model_validate({"userName": "bo", "email": "b@c.de", "password": "pw"})
    assert parsed.user_name == "bo"
    assert "userName" in parsed.dump()


def test_read_only_fields_are_ignored_in_input():
    class Item(Serializer):
        id: int = field(read_only=True, default=0)
        name: str

    assert Item.model_validate({"id": 99, "name": "x"}).id == 0
    assert Item(id=5, name="x").dump() == {"id": 5, "name": "x"}


# -- models ---------------------------------------------------------------------------


class SAuthor(models.Model):
    name = models.CharField(max_length=50)

    class Meta:
        app_label = "auth"


class STag(models.Model):
    label = models.CharField(max_length=20)

    class Meta:
        app_label = "auth"


class SBook(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(SAuthor, on_delete=models.CASCADE, related_name="books")
    tags = models.ManyToManyField(STag)
    pages = models.IntegerField(default=100)

    class Meta:
        app_label = "auth"


@pytest.fixture(scope="module")
def library(django_db_blocker=None):
    with connection.schema_editor() as editor:
        for model in (SAuthor, STag, SBook):
            editor.create_model(model)
    authors = [SAuthor.objects.create(name=f"author {i}") for i in range(5)]
    tags = [STag.objects.create(label=f"t{i}") for i in range(3)]
    for i in range(20):
        book = SBook.objects.create(title=f"book {i}", author=authors[i % 5])
        book.tags.set(tags[: i % 3 + 1])
    yield
    with connection.schema_editor() as editor:
        for model in (SBook, STag, SAuthor):
            editor.delete_model(model)


class AuthorOut(Serializer):
    id: int
    name: str


class TagOut(Serializer):
    label: str


class BookFlat(Serializer):
    id: int
    title: str
    author: int  # FK => pk
    author_name: str = field(source="author.name", default="")
    tags: list[int] = field(default_factory=list)  # manager => pks
    missing: str = "default"


class BookDeep(Serializer):
    title: str
    author: Annotated[AuthorOut, Nested(AuthorOut)]
    tags: Annotated[list[TagOut], Nested(TagOut, many=True)]


class AuthorWithBooks(Serializer):
    name: str
    books: Annotated[list[BookDeep], Nested(BookDeep, many=True)]


def test_from_model_source_path_fk_pk_and_many(library):
    book = SBook.objects.get(title="book 7")
    out = BookFlat.from_model(book)
    assert out.author == book.author_id
    assert out.author_name == book.author.name
    assert out.tags == sorted(t.pk for t in book.tags.all())
    assert out.missing == "default"
    deep = BookDeep.from_model(book)
    assert deep.author.name == book.author.name
    assert [t.label for t in deep.tags] == [t.label for t in book.tags.all()]


def test_from_model_queryset_query_count_does_not_grow_with_rows(library):
    for serializer, queryset, most in (
        (BookFlat, SBook.objects.all(), 2),  # books + prefetch tags (author via select_related)
        (BookDeep, SBook.objects.all(), 2),
        (AuthorWithBooks, SAuthor.objects.all(), 4),  # authors, books, their authors, tags
    ):
        with CaptureQueriesContext(connection) as few:
            small = serializer.dump_many(queryset[:3])
        with CaptureQueriesContext(connection) as many:
            big = serializer.dump_many(queryset)
        assert len(few.captured_queries) == len(many.captured_queries) <= most, (serializer, many.captured_queries)
        assert len(big) > len(small)


def test_dump_many_of_fetched_instances_fetches_relations_once(library):
    page = list(SBook.objects.order_by("id")[:10])
    with CaptureQueriesContext(connection) as queries:
        rows = BookDeep.dump_many(page)
    assert len(rows) == 10 and rows[0]["author"]["name"].startswith("author")
    assert len(queries.captured_queries) == 2  # the authors, the tags: not one per row


def test_from_model_max_depth(library):
    with pytest.raises(ValueError, match="max_depth"):
        AuthorWithBooks.from_model(SAuthor.objects.first(), max_depth=0)


def test_create_serializer_and_set(library):
    BookSerializer = create_serializer(SBook, exclude=["pages"])
    assert BookSerializer.__name__ == "SBookSerializer"
    assert set(BookSerializer.__struct_fields__) == {"id", "title", "author"}
    book = SBook.objects.first()
    assert BookSerializer.from_model(book).dump() == {"id": book.pk, "title": book.title, "author": book.author_id}
    Create, Update, Public = create_serializer_set(
        SBook, create_fields=["title", "author"], update_fields=["title"], public_fields=["id", "title"]
    )
    assert (Create.__name__, Update.__name__, Public.__name__) == ("SBookCreate", "SBookUpdate", "SBookPublic")
    assert Update.model_validate({}).dump() == {}
    assert Update.model_validate({"title": "x"}).dump() == {"title": "x"}
    assert errors_of(Create.model_validate, {"title": "x" * 101})[0]["loc"] == ["body", "title"]


# -- routes ---------------------------------------------------------------------------


def test_serializer_in_routes():
    api = BoltAPI()

    @api.post("/signup")
    async def signup(data: SignUp) -> SignUp:
        return data

    @api.post("/orders")
    async def orders(order: Order):
        return {"qty": order.qty}

    @api.get("/accounts")
    async def accounts() -> list[Account]:
        return [make_account()]

    @api.get("/raw")
    async def raw():
        return make_account()

    with TestClient(api) as client:
        ok = client.post("/signup", json={"userName": "ann", "email": "A@B.io", "password": "secret12"})
        assert ok.status_code == 200
        assert ok.json() == {"userName": "ann", "email": "a@b.io", "handle": "@ann"}

        bad = client.post("/orders", json={"qty": 0, "note": " "})
        assert bad.status_code == 422
        assert [e["loc"] for e in bad.json()["detail"]] == [["body", "qty"], ["body", "note"]]

        typed = client.post("/orders", json={"qty": "x", "note": "n"})
        assert typed.status_code == 422 and typed.json()["detail"][0]["loc"] == ["body", "qty"]

        assert client.post("/orders", content=b"{").status_code == 422
        assert client.get("/accounts").json()[0]["displayName"] == "Ann Lee"
        assert "secret" not in client.get("/raw").text


class ReadOnlyId(Serializer):
    id: int = field(read_only=True)
    name: str


def test_read_only_without_default_as_body_is_a_startup_error():
    api = BoltAPI()

    async def create(item: ReadOnlyId):
        return {}

    with pytest.raises(TypeError, match="read-only fields \\['id'\\] have no default"):
        api.post("/items")(create)


def test_to_dict_to_model_update_instance(library):
    class TitleOnly(Serializer):
        title: str
        pages: int = 100

    data = TitleOnly(title="new", pages=7)
    assert data.to_dict() == {"title": "new", "pages": 7}
    unsaved = data.to_model(SBook)
    assert (unsaved.pk, unsaved.title, unsaved.pages) == (None, "new", 7)
    book = SBook.objects.first()
    assert data.update_instance(book) is book and (book.title, book.pages) == ("new", 7)


class AuthorPublic(Serializer):
    id: int
    name: str
    secret: str = field(write_only=True, default="")

    @computed_field
    def shout(self) -> str:
        return self.name.upper()


def test_serializer_class_of_a_paginated_viewset(library):
    from django_bolt.pagination import PageNumberPagination
    from django_bolt.views import ReadOnlyModelViewSet

    class Two(PageNumberPagination):
        page_size = 2

    api = BoltAPI()

    @api.viewset("/authors")
    class Authors(ReadOnlyModelViewSet):
        queryset = SAuthor.objects.order_by("id")
        serializer_class = AuthorPublic
        pagination_class = Two

    with TestClient(api) as client:
        page = client.get("/authors").json()
        first = SAuthor.objects.order_by("id").first()
        assert page["items"][0] == {"id": first.pk, "name": first.name, "shout": first.name.upper()}
        one = client.get(f"/authors/{first.pk}").json()
        assert one == {"id": first.pk, "name": first.name, "shout": first.name.upper()}


class Badge(Serializer):
    label: str
    code: str = field(write_only=True, default="")


class Member(Serializer, rename="camel"):
    member_id: int
    pin: str = field(write_only=True, default="")

    @computed_field
    def badge(self) -> Badge:
        return Badge(label=f"#{self.member_id}", code="hidden")

    @computed_field(alias="tag")
    def tag_text(self) -> str:
        return f"m{self.member_id}"


class Guest(Member):
    note: str = "guest"


def test_dump_many_of_flat_serializers_matches_dump():
    members = [Member(member_id=i, pin="1234") for i in range(3)]
    expected = [{"memberId": i, "badge": {"label": f"#{i}"}, "tag": f"m{i}"} for i in range(3)]
    assert Member.dump_many(members) == expected
    assert [m.dump() for m in members] == expected
    # Items of a subclass are dumped with their own fields.
    mixed = Member.dump_many([members[0], Guest(member_id=7)])
    assert mixed == [expected[0], {"memberId": 7, "note": "guest", "badge": {"label": "#7"}, "tag": "m7"}]
    # Field names that are not identifiers in source code are read all the same.
    Odd = type(Serializer)("Odd", (Serializer,), {"__annotations__": {"class": str, "ok": int}, "__module__": __name__})
    odd = Odd(**{"class": "a", "ok": 1})
    assert Odd.dump_many([odd]) == [odd.dump()] == [{"class": "a", "ok": 1}]
