from cleanwire.text.normalize import normalize_text
from cleanwire.text.segment import CLAUSE, QUOTE, SENTENCE, paragraphs, quote_spans, segment, sentences


def _texts(text, ranges):
    return [text[a:b] for a, b in ranges]


def test_sentences_respect_abbreviations_initials_and_quotes():
    text = 'Dr. Smith met J. R. Jones in the U.S. on Jan. 5. They talked. "Is it over?" he asked. No. 10 agreed.'
    assert _texts(text, sentences(text)) == [
        "Dr. Smith met J. R. Jones in the U.S. on Jan. 5.",
        "They talked.",
        '"Is it over?" he asked.',
        "No. 10 agreed.",
    ]


def test_an_abbreviated_title_after_a_hyphen_does_not_end_a_sentence():
    text = "It happened in 2012 when then-Rep. Heath Shuler retired. Ex-Gov. Smith agreed."
    assert _texts(text, sentences(text)) == [
        "It happened in 2012 when then-Rep. Heath Shuler retired.", "Ex-Gov. Smith agreed."]


def test_a_line_break_always_ends_a_sentence():
    text = "Heading without stop\nBody sentence one. Body two"
    assert _texts(text, sentences(text)) == ["Heading without stop", "Body sentence one.", "Body two"]


def test_lower_case_after_a_stop_does_not_split():
    text = "He was on the border ... after forces withdrew. Next."
    assert _texts(text, sentences(text)) == ["He was on the border ... after forces withdrew.", "Next."]


def test_cjk_sentence_ends():
    text = "今日は晴れです。明日は雨です。"
    assert _texts(text, sentences(text)) == ["今日は晴れです。", "明日は雨です。"]


def test_paragraphs_are_blank_line_separated():
    text = "one\nstill one\n\n  two  \n\n\nthree"
    assert _texts(text, paragraphs(text)) == ["one\nstill one", "two", "three"]


def test_quote_spans_ignore_apostrophes_and_run_open_quotes_to_paragraph_end():
    text = "Syria’s chief said “it is over” and ‘not quite’.\n\n“An open quote continues\n\nNext paragraph"
    assert _texts(text, quote_spans(text)) == ["it is over", "not quite", "An open quote continues"]


def test_straight_quotes_pair_up():
    text = 'He said "one two" and "three four".'
    assert _texts(text, quote_spans(text)) == ["one two", "three four"]


def test_quoted_part_and_attribution_become_pieces(seed_paths):
    text = normalize_text(seed_paths[0].read_text(encoding="utf-8"))
    found = {(p.kind, text[p.start:p.end]) for p in segment(text)}
    assert (QUOTE, "IS now dominates central Syria, a crossroads of primary importance") in found
    assert (CLAUSE, "said Fabrice Balanche, a French expert on Syria.") in found
    assert (QUOTE, "Eventually, this axis can be threatened") in found
    assert (CLAUSE, "said Matthew Henman, head of IHS Jane’s Terrorism and Insurgency Centre.") in found


def test_attribution_after_a_comma_splits_a_sentence_without_quotes(seed_paths):
    text = normalize_text(seed_paths[1].read_text(encoding="utf-8"))
    found = {(p.kind, text[p.start:p.end]) for p in segment(text)}
    assert (CLAUSE, "Matthew Henman, head of IHS Jane's Terrorism and Insurgency Centre") in found


def test_scare_quotes_do_not_split_a_sentence():
    text = 'Officials urged the world to "mobilise" to save the treasures of the ancient city.'
    assert [(p.kind, p.start, p.end) for p in segment(text)] == [(SENTENCE, 0, len(text))]


def test_sentences_tile_the_text_and_pieces_lie_inside_them(seed_paths):
    for path in seed_paths:
        text = normalize_text(path.read_text(encoding="utf-8"))
        spans = segment(text)
        sentence_spans = [p for p in spans if p.kind == SENTENCE]
        covered = "".join(text[p.start:p.end] for p in sentence_spans)
        assert covered.replace(" ", "") == "".join(text.split())
        for piece in (p for p in spans if p.kind != SENTENCE):
            parent = sentence_spans[piece.sentence]
            assert parent.start <= piece.start < piece.end <= parent.end


def test_pieces_shorter_than_min_words_are_not_made():
    text = '"Too short," he said, adding more words here to make it long.'
    assert all(p.kind == SENTENCE for p in segment(text, min_words=5))


def test_an_apostrophe_inside_a_single_quotation_does_not_close_it():
    text = "He said ‘the country’s future is bright’ and left."
    assert _texts(text, quote_spans(text)) == ["the country’s future is bright"]


def test_an_unclosed_single_quotation_is_ignored_but_a_double_one_runs_on():
    text = "Fans call him ‘the boss of the whole league and more.\n\nNext paragraph."
    assert quote_spans(text) == []
    text = "Fans call him “the boss of the whole league and more.\n\nNext paragraph."
    assert _texts(text, quote_spans(text)) == ["the boss of the whole league and more."]


def test_a_sentence_wholly_inside_a_quotation_is_not_split_at_an_attribution():
    text = ("“We went there early. Then the mayor of the town, said by many to be corrupt, left with his friends. "
            "It was over by the time we came back,” she said.")
    inner = "Then the mayor of the town, said by many to be corrupt, left with his friends."
    start = text.index(inner)
    spans = segment(text)
    [sentence] = [p for p in spans if (p.start, p.end) == (start, start + len(inner))]
    assert sentence.kind == SENTENCE
    assert [text[p.start:p.end] for p in spans if p.sentence == sentence.sentence and p.kind != SENTENCE] == []


def test_a_dotted_abbreviation_before_a_capitalised_word_does_not_end_a_sentence():
    text = "The bill reached the U.S. Senate on Monday. It passed."
    assert _texts(text, sentences(text)) == ["The bill reached the U.S. Senate on Monday.", "It passed."]


def test_a_quotation_of_exactly_min_words_words_defines_pieces():
    text = 'The minister said "we will not give up" and left the building early.'
    pieces = [(p.kind, text[p.start:p.end]) for p in segment(text, min_words=5) if p.kind != SENTENCE]
    assert (QUOTE, "we will not give up") in pieces
    assert all(p.kind == SENTENCE for p in segment(text, min_words=6))
