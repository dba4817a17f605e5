"""Images embedded in Moodle XML question files: checked like course images, stored once per
bank, shown on the quiz pages through their own URL, and written back by the exports."""

from __future__ import annotations

import base64
import re
import struct
import xml.etree.ElementTree as ET
import zlib

import pytest
from sqlalchemy import func, select

from lms.assessment.exporting import bank_to_gift, bank_to_moodle_xml, export_bank
from lms.assessment.importing import apply_import, preview_import
from lms.assessment.models import Question, QuestionImage, QuestionVersion
from lms.assessment.quizzes import question_html
from lms.assessment.services import find_bank
from tests.assessment import test_quiz_pages as pages
from tests.assessment.test_bank_pages import upload
from tests.assessment.test_quiz_pages import start

english = pages.english
learner = pages.learner
quiz_course = pages.quiz_course

CHART = "订单流程.png"
CHART_URL_NAME = "%E8%AE%A2%E5%8D%95%E6%B5%81%E7%A8%8B.png"  # as Moodle writes it in a text


def png(red: int) -> bytes:
    """A real 1×1 PNG whose one pixel has the given red value (different bytes per value)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes([0, red, 0, 0]))) + chunk(b"IEND", b""))


def file_element(name: str, data: bytes, path: str = "/") -> str:
    return (f'<file name="{name}" path="{path}" encoding="base64">'
            f"{base64.b64encode(data).decode()}</file>")


def choice(title: str, text: str, text_files: str = "", general: str = "",
           general_files: str = "", feedback: str = "", feedback_files: str = "") -> str:
    """A Moodle XML single-choice question; files go inside the text that shows them."""
    return (f'<question type="multichoice"><name><text>{title}</text></name>'
            f'<questiontext format="html"><text><![CDATA[{text}]]></text>{text_files}'
            "</questiontext>"
            f'<generalfeedback format="html"><text><![CDATA[{general}]]></text>{general_files}'
            "</generalfeedback><single>true</single>"
            '<answer fraction="100" format="html"><text>企业资源计划</text>'
            f'<feedback format="html"><text><![CDATA[{feedback}]]></text>{feedback_files}'
            "</feedback></answer>"
            '<answer fraction="0" format="html"><text>客户关系管理</text>'
            '<feedback format="html"><text></text></feedback></answer></question>')


def moodle_file(*questions: str, category: str = "quiz") -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n<question type="category">'
            f"<category><text>$course$/top/{category}</text></category></question>\n"
            + "\n".join(questions) + "\n</quiz>\n").encode("utf-8")


def image(name: str = CHART, alt: str = "订单流程") -> str:
    return f'<img src="@@PLUGINFILE@@/{name}" alt="{alt}" width="120">'


def image_rows() -> int:
    from lms.extensions import db

    return db.session.scalar(select(func.count(QuestionImage.id)))


def current_text(bank_name: str, title: str) -> QuestionVersion:
    from lms.extensions import db

    question = db.session.scalar(select(Question).where(
        Question.bank_id == find_bank(bank_name).id, Question.title == title))
    return question.current_version


# --- Import and the pages -----------------------------------------------------------------


def test_an_imported_image_shows_on_the_learners_attempt_page(quiz_course, login_as, client,
                                                              learner, db):
    course = quiz_course("img-course", body="::pick::ERP 是什么？{=企业资源计划 ~客户关系管理}")
    bank = find_bank("img-course")
    chart = png(200)
    xml = moodle_file(choice("pick", f"<p>看流程图：{image(CHART_URL_NAME)}</p>",
                             file_element(CHART, chart)))

    login_as("trainer1", roles=("trainer",))
    reply = upload(client, bank.id, xml, "with-image.xml")
    assert reply.status_code == 303
    preview = client.get(reply.location).data.decode()
    # A good image is listed, and it is no problem: no confirmation of a partial import.
    assert 'id="import-images"' in preview and f"{CHART}</div>" in preview
    assert 'id="rejected-warning"' not in preview and 'data-status="update"' in preview
    digest = re.search(r'name="digest" value="([^"]+)"', preview).group(1)
    assert client.post(reply.location, data={"digest": digest, "name": "with-image.xml"}
                       ).status_code == 303
    (stored,) = db.session.scalars(select(QuestionImage)).all()
    assert (stored.bank_id, stored.name, stored.content_type, stored.size, stored.data) == (
        bank.id, CHART, "image/png", len(chart), chart)
    assert f'src="question-image:{stored.id}/{CHART_URL_NAME}"' in current_text(
        "img-course", "pick").text

    attempt_id = start(learner(course), "img-course")
    page = client.get(f"/quiz/attempts/{attempt_id}").data.decode()
    url = f"/question-images/{stored.id}/{CHART_URL_NAME}"
    assert f'<img src="{url}" alt="订单流程" width="120">' in page
    served = client.get(url)
    assert served.status_code == 200 and served.data == chart
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert served.headers["Cache-Control"] == "private, max-age=31536000, immutable"

    assert client.get(f"/question-images/{stored.id + 1}/x.png").status_code == 404
    client.post("/logout", data={})
    assert client.get(url).status_code == 302  # signed-out visitors are sent to sign in


def test_feedback_and_markdown_texts_show_images_and_the_sanitiser_keeps_them(app):
    with app.test_request_context():
        shown = question_html('<p onclick="x()">见 <img src="question-image:7/a%20b.png" '
                              'onerror="alert(1)" alt="图"></p>', "html")
        markdown = question_html("看 ![图](question-image:8/c.png) 与 [手册](manual:x)",
                                 "moodle")
    assert shown == '<p>见 <img src="/question-images/7/a%20b.png" alt="图"></p>'
    assert '<img alt="图" src="/question-images/8/c.png">' in markdown
    assert 'class="unresolved-link"' in markdown  # other schemes still go
    # A reference that is not a stored image (nor any other scheme) gives no URL.
    assert question_html('<img src="question-image:sha256-ab/x.png">', "html") == "<img>"


@pytest.mark.parametrize(("data", "reason"), [
    (b"<!DOCTYPE html><html><body><p>not a chart</p></body></html>",
     "This file is not an image Praxis accepts. Upload a PNG, JPEG, GIF, WebP or SVG image."),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "The SVG image contains active content (<script>), which is not allowed."),
    (b"%PDF-1.4 not an image", "This file is not an image Praxis accepts."),
])
def test_a_disguised_or_unsafe_image_is_refused_with_its_reason(english, db, data, reason):
    xml = moodle_file(choice("pick", f"<p>看图：{image('chart.png')}</p>",
                             file_element("chart.png", data)))
    preview = preview_import(xml, "bad.xml", "图片题库")
    (entry,) = preview.entries
    assert entry.status == "new" and entry.has_problem and entry.image_names == []
    assert entry.reason.startswith("embedded image chart.png is not imported: " + reason)
    with pytest.raises(ValueError):
        apply_import(preview, "图片题库")
    apply_import(preview, "图片题库", accept_partial=True)
    assert image_rows() == 0
    assert current_text("图片题库", "pick").text == "<p>看图：</p>"


def test_a_too_large_image_and_broken_base64_are_refused(english, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "COURSE_ASSET_MAX_BYTES", 50)
    big = png(1) + b"\0" * 100
    xml = moodle_file(choice("big", f"<p>大图：{image('big.png')}</p>",
                             file_element("big.png", big),
                             feedback=image("broken.png"),
                             feedback_files='<file name="broken.png" path="/" '
                                            'encoding="base64">@@not base64@@</file>'))
    (entry,) = preview_import(xml, "bad.xml", None).entries
    assert entry.reason == (
        "embedded image big.png is not imported: The image is larger than 50 B. Choose a "
        "smaller file.; embedded file broken.png is not imported: its base64 data cannot "
        "be read")
    assert entry.images == []


def test_gift_references_without_bytes_stay_reported(english, db):
    gift = '::g::[html]<p>看图：<img src\\="@@PLUGINFILE@@/a.png"></p>{=甲 ~乙}\n'.encode()
    (entry,) = preview_import(gift, "moodle.gift", "图片题库").entries
    assert entry.reason == ("embedded file a.png is not imported (upload it to the course and "
                            "link it)")
    assert entry.question.text == "<p>看图：</p>"


# --- Stored once, exported back -----------------------------------------------------------


def test_the_same_image_twice_is_stored_once(db):
    chart = png(10)
    xml = moodle_file(
        choice("one", f"<p>{image()}</p>", file_element(CHART, chart),
               general=f"<p>{image('copy.png')}</p>",
               general_files=file_element("copy.png", chart)),
        choice("two", f"<p>{image('again.png')}</p>", file_element("again.png", chart)))
    preview = preview_import(xml, "twice.xml", "图片题库")
    assert preview.image_count == 1 and not preview.has_problems
    apply_import(preview, "图片题库")
    (stored,) = db.session.scalars(select(QuestionImage)).all()
    one, two = current_text("图片题库", "one"), current_text("图片题库", "two")
    assert f"question-image:{stored.id}/{CHART}" in one.text
    assert f"question-image:{stored.id}/copy.png" in one.general_feedback
    assert f"question-image:{stored.id}/again.png" in two.text
    # Another file with the same image, into the same bank: still one copy.
    apply_import(moodle_file(choice("three", image("x.png"), file_element("x.png", chart))),
                 "图片题库")
    assert image_rows() == 1


def test_moodle_xml_round_trip_keeps_texts_and_image_bytes(db):
    chart, note, other = png(20), png(30), png(40)
    xml = moodle_file(
        choice("pick", f"<p>{image()}</p>", file_element(CHART, chart),
               general='<p>说明 <img src="@@PLUGINFILE@@/image.png"></p>',
               general_files=file_element("image.png", note),
               # Moodle keeps files per text: the same name can be another image elsewhere.
               feedback='<img src="@@PLUGINFILE@@/sub/image.png?time=1">',
               feedback_files=file_element("image.png", other, path="/sub/")))
    apply_import(xml, "原题库", filename="a.xml")
    original = current_text("原题库", "pick")
    assert image_rows() == 3

    exported = bank_to_moodle_xml(find_bank("原题库"))
    root = ET.fromstring(exported)
    files = {(f.get("path"), f.get("name")): base64.b64decode(f.text) for f in root.iter("file")}
    assert files == {("/", CHART): chart, ("/", "image.png"): note,
                     ("/sub/", "image.png"): other}
    question = root.find("question[@type='multichoice']")
    assert question.findtext("questiontext/text") == f"<p>{image()}</p>"
    assert question.find("questiontext/file").get("name") == CHART
    assert question.find("answer/feedback/file").get("path") == "/sub/"

    # Into its own bank: every question unchanged, no image stored twice.
    preview = preview_import(exported, "b.xml", "原题库")
    assert [entry.status for entry in preview.entries] == ["unchanged"]
    assert not preview.has_problems
    apply_import(preview, "原题库")
    assert current_text("原题库", "pick").id == original.id and image_rows() == 3
    # Into another bank: its own copies, and the same file when exported again.
    apply_import(exported, "副本", filename="b.xml")
    assert image_rows() == 6
    assert bank_to_moodle_xml(find_bank("副本")) == exported


def test_gift_export_keeps_the_reference_and_warns(english, db):
    xml = moodle_file(choice("pick", f"<p>看图：{image(CHART_URL_NAME)}</p>",
                             file_element(CHART, png(50))))
    apply_import(xml, "礼物", filename="a.xml")
    bank = find_bank("礼物")
    export = export_bank(bank, "gift")
    assert f'<img src\\="@@PLUGINFILE@@/{CHART_URL_NAME}"'.encode() in export.content
    assert export.warnings == [
        f"quiz/pick: GIFT cannot carry images: {CHART} stay @@PLUGINFILE@@ references without "
        "the image (export as Moodle XML to keep them)"]
    # Back into the same bank the references name the question's own images: unchanged.
    preview = preview_import(bank_to_gift(bank).encode(), "back.gift", "礼物")
    assert [(entry.status, entry.reason) for entry in preview.entries] == [("unchanged", "")]
    # Into another bank there is nothing to show: reported.
    (entry,) = preview_import(export.content, "back.gift", "别的题库").entries
    assert entry.reason.startswith(f"embedded file {CHART} is not imported")
