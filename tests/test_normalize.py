from cleanwire.text.normalize import fold_quotes, normalize_line, normalize_text


def test_nfkc_newlines_and_invisible_characters():
    raw = "Ｆｕｌｌwidth\r\nline\u200b two\rthree\u00a0 four\x07"
    assert normalize_text(raw) == "Fullwidth\nline two\nthree four"


def test_blank_lines_are_kept_so_blocks_stay_separable():
    assert normalize_text("a\n\n\n  b  \n") == "a\n\n\nb\n"


def test_idempotent():
    raw = "“Quoted” text …\t with   spaces\r\n\r\nnext"
    once = normalize_text(raw)
    assert normalize_text(once) == once


def test_curly_quotes_stay_readable_in_stored_text():
    assert normalize_text("Syria’s “caliphate”") == "Syria’s “caliphate”"


def test_fold_quotes():
    assert fold_quotes("“a” ‘b’ «c» Syria’s") == "\"a\" 'b' \"c\" Syria's"


def test_normalize_line_collapses_everything_to_one_line():
    assert normalize_line("  a\n b\tc ") == "a b c"


def test_every_horizontal_space_character_is_collapsed_and_stripped():
    breaks = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
    spaces = [chr(c) for c in range(0x3001) if chr(c).isspace() and chr(c) not in breaks]
    assert len(spaces) > 15
    for space in spaces:
        assert normalize_text(f"{space}a{space}{space}b {space}\n{space}c{space}") == "a b\nc", hex(ord(space))


def test_control_characters_become_spaces_and_every_line_break_a_newline():
    assert normalize_text("a\x00b\x1fc\x7fd") == "a b c d"
    assert normalize_text("a\r\nb\rc\x0bd\x0ce\x85f\u2028g\u2029h") == "a\nb\nc\nd\ne\nf\ng\nh"


def test_printable_writes_control_characters_as_escapes_and_keeps_the_rest():
    from cleanwire.text.normalize import printable

    assert printable("first line: \x1f\x8b\x00 ESC\x1b[31m café\tok\nnext\x85") == \
        "first line: \\x1f\\x8b\\x00 ESC\\x1b[31m café\tok\nnext\\x85"
