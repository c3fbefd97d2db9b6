import pytest

from cleanwire.text.decode import DecodeError, decode


def test_utf8_page_with_stray_latin1_bytes_keeps_its_utf8_characters():
    content = "Fundację wrote".encode("utf-8") + b" f\xfcr " + "Straße".encode("utf-8")
    text, encoding = decode(content, is_html=True)
    assert text == "Fundację wrote für Straße"
    assert encoding == "utf-8+cp1252"


def test_declared_utf8_with_stray_bytes_is_not_read_as_cp1252_throughout():
    content = b'<meta charset="UTF-8"><p>' + "Kaffeerösterei".encode("utf-8") + b" \x93quoted\x94 \x81</p>"
    text, _ = decode(content, is_html=True)
    assert "Kaffeerösterei" in text and "“quoted” \x81" in text


def test_legacy_cp1252_text_and_declared_charsets():
    assert decode("Grüße – “so”".encode("cp1252")) == ("Grüße – “so”", "cp1252")
    page = '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-2"> Łódź'.encode("iso-8859-2")
    assert decode(page, is_html=True)[0].endswith("Łódź")
    assert decode("plain ü".encode("utf-8")) == ("plain ü", "utf-8")


def test_binary_data_is_refused():
    with pytest.raises(DecodeError):
        decode(b"\x00\x01\x02binary")
