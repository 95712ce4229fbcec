# ruff: noqa: E501  (a table of Markdown inputs, each case on its own line)
"""Markdown as Pandoc and Quarto users write it: small inputs, most from Pandoc's manual
(https://pandoc.org/MANUAL.html, "Pandoc's Markdown") and the rest brochure text in Dutch,
English and German. test_markdown_pandoc.py renders each through our renderer and through
the installed `pandoc -f markdown -t html5` and compares the words a reader sees.

Each case is (name, language, markdown)."""

CASES: list[tuple[str, str, str]] = [
    # -- paragraphs, emphasis, quotes (Pandoc's manual: Paragraphs, Emphasis, Smart punctuation)
    ("paragraph", "en", "This is a paragraph.\nIt continues on the next line.\n"),
    ("emphasis", "en", "This text is _emphasized with underscores_, and this\nis *emphasized with asterisks*.\n"),
    ("strong", "en", "This is **strong emphasis** and __with underscores__.\n"),
    ("intraword", "en", "feas*ible*, not feas*able*.\n"),
    ("smart-quotes-en", "en", "\"Hello,\" said the spider. \"'Shelob' is my name.\"\n"),
    ("smart-quotes-nl", "nl", "Een *be.stuur* is een 'bewind' of \"een College dat de leiding heeft\".\n"),
    ("smart-quotes-de", "de", "Er sagte: \"Das ist 'wirklich' gut.\"\n"),
    ("apostrophes-nl", "nl", "Het is 't mooiste van 's-Hertogenbosch, zo'n stad uit de jaren '80.\n"),
    ("apostrophe-n", "nl", "Dat is 'n mooie dag, 's morgens vroeg.\n"),
    ("apostrophe-en", "en", "It's the region's plan; don't ask.\n"),
    ("dashes", "en", "An em---dash and an en--dash, from 1990--2000.\n"),
    ("ellipsis", "en", "Wait for it... here it comes.\n"),
    ("lettered-list-inline", "nl", "Drie gebieden: (a) wonen, (b) werken en (c) recreatie.\n"),
    ("plus-minus", "nl", "Het kost +- 40 euro en de score is 3+-2.\n"),
    ("trademark", "en", "Brand(tm) and (r) and (c) 2016.\n"),
    ("nbsp-escape", "nl", "Een afstand van 10\\ km naar Zwolle.\n"),
    ("backslash-escapes", "en", "\\*not emphasized\\* and \\_no\\_ and a \\# hash.\n"),
    ("hard-break-backslash", "nl", "Postbus 140\\\n8000 AC Zwolle\n"),
    ("hard-break-spaces", "nl", "Postbus 140  \n8000 AC Zwolle\n"),
    ("spaced-hyphen-nl", "nl", "De zaal komt meteen - en zelfs letterlijk - in beweging.\n"),
    # -- headings (Headers, Heading identifiers, Extension: header_attributes)
    ("heading-atx", "en", "## A level-two heading\n\nText below.\n"),
    ("heading-setext", "en", "A level-two heading\n-------------------\n\nText.\n"),
    ("heading-closing-hashes", "en", "## A heading ##\n\nText.\n"),
    ("heading-id", "nl", "## Samen bouwen {#samen}\n\nZie [samen bouwen](#samen).\n"),
    ("heading-attrs", "en", "## My heading {#foo .unnumbered}\n\nText.\n"),
    ("heading-unnumbered-dash", "en", "## My heading {-}\n\nText.\n"),
    ("heading-implicit-link", "en", "## Heading identifiers\n\nSee [the section on identifiers](#heading-identifiers).\n"),
    # -- block quotes, lists
    ("blockquote", "en", "> This is a block quote. This\n> paragraph has two lines.\n>\n> 1. This is a list inside a block quote.\n> 2. Second item.\n"),
    ("bullet-tight", "nl", "* samen\n* samenleven\n* eigen kracht\n"),
    ("bullet-loose", "nl", "* samen\n\n* samenleven\n\n* eigen kracht\n"),
    ("ordered", "en", "1.  one\n2.  two\n3.  three\n"),
    ("ordered-start", "en", "9)  Ninth\n10)  Tenth\n11)  Eleventh\n"),
    ("nested-list", "en", "* fruits\n    + apples\n        - macintosh\n        - red delicious\n    + pears\n* vegetables\n    + broccoli\n"),
    ("fancy-list", "en", "#. one\n#. two\n"),
    ("lettered-list", "en", "a. apples\nb. bananas\nc. cherries\n"),
    ("roman-list", "en", "i. first\nii. second\n"),
    ("task-list", "en", "- [ ] an unchecked task list item\n- [x] checked item\n"),
    ("definition-list", "en", "Term 1\n\n:   Definition 1\n\nTerm 2\n\n:   Definition 2\n"),
    ("definition-list-tight", "nl", "Zwolle\n:   hoofdstad van Overijssel\nRaalte\n:   gemeente in Salland\n"),
    ("example-list", "en", "(@)  My first example will be numbered (1).\n(@)  My second example will be numbered (2).\n"),
    # -- line blocks
    ("line-block", "nl", "| Regio Zwolle\n| Postbus 140\n| 8000 AC Zwolle\n"),
    ("line-block-poem", "en", "| The limerick packs laughs anatomical\n| In space that is quite economical.\n|    But the good ones I've seen\n|    So seldom are clean\n| And the clean ones so seldom are comical\n"),
    # -- code
    ("inline-code", "en", "What is the difference between `>>=` and `>>`?\n"),
    ("fenced-code", "en", "~~~~~~~\nif (a > 3) {\n  moveShip(5 * gravity, DOWN);\n}\n~~~~~~~\n"),
    ("backtick-code", "en", "```\nplain code\n```\n"),
    # -- inline formatting
    ("strikeout", "en", "This ~~is deleted text.~~\n"),
    ("subscript", "en", "H~2~O is a liquid.\n"),
    ("superscript", "nl", "Een oppervlakte van 20 m^2^ per persoon.\n"),
    ("superscript-ordinal", "en", "2^10^ is 1024 and the 1^st^ one.\n"),
    ("smallcaps-span", "en", "[Small caps]{.smallcaps} here.\n"),
    ("lang-span", "nl", "Hij zei [Bonjour]{lang=fr} tegen iedereen.\n"),
    ("lang-span-en", "nl", "Zij zoeken naar de [next step]{lang=en} in de regio.\n"),
    ("span-id", "en", "[This is *some text*]{.class key=\"val\"} here.\n"),
    ("underline-span", "en", "[Underline]{.underline} this.\n"),
    ("mark-span", "en", "[Highlighted]{.mark} words.\n"),
    # -- links
    ("autolink", "en", "<https://google.com>\n<sam@green.eggs.ham>\n"),
    ("inline-link", "en", "This is an [inline link](https://fsf.org), and here's [one with\na title](https://fsf.org \"click here for a good time!\").\n"),
    ("reference-link", "en", "[my label 1]: https://foo.bar.baz\n\nSee [my label 1] and [the text][my label 1].\n"),
    ("internal-link", "en", "See the [Introduction](#introduction).\n\n## Introduction\n\nText.\n"),
    # -- images and figures
    ("figure-pandoc-width", "nl", "![Bijschrift bij de foto](photo.jpg){width=50%}\n"),
    ("image-inline", "en", "An icon ![i](icon.png) in the text.\n"),
    ("bang-footnote", "en", "Bug![^1]\n\n[^1]: Footnote after an exclamation mark.\n"),
    # -- footnotes
    ("footnote", "en", "Here is a footnote reference,[^1] and another.[^longnote]\n\n[^1]: Here is the footnote.\n\n[^longnote]: Here's one with multiple blocks.\n\n    Subsequent paragraphs are indented to show that they\nbelong to the previous footnote.\n\nThis paragraph won't be part of the note, because it\nisn't indented.\n"),
    ("footnote-inline", "en", "Here is an inline note.^[Inlines notes are easier to write, since\nyou don't have to pick an identifier and move down to type the\nnote.]\n"),
    ("footnote-nl", "nl", "De regio telt twintig gemeenten.[^bron]\n\n[^bron]: Bron: jaarverslag Regio Zwolle 2016.\n"),
    ("footnote-url", "nl", "Meer op de website.[^1]\n\n[^1]: https://www.regiozwolle.info\n"),
    ("footnote-de", "de", "Die Region hat zwanzig Gemeinden.^[Laut Jahresbericht 2016.]\n"),
    # -- tables
    ("pipe-table", "nl", "| Gemeente | Inwoners |\n|----------|---------:|\n| Zwolle   |  130.000 |\n| Raalte   |   37.000 |\n"),
    ("pipe-table-caption", "nl", "| Gemeente | Inwoners |\n|----------|---------:|\n| Zwolle   |  130.000 |\n\n: Inwoners per gemeente\n"),
    ("pipe-table-caption-before", "en", ": Sample caption\n\n| Right | Left |\n|------:|:-----|\n|    12 | 12   |\n"),
    ("simple-table", "en", "  Right     Left     Center     Default\n-------     ------ ----------   -------\n     12     12        12            12\n    123     123       123          123\n\nTable:  Demonstration of simple table syntax.\n"),
    ("grid-table", "en", "+---------------+---------------+\n| Fruit         | Price         |\n+===============+===============+\n| Bananas       | $1.34         |\n+---------------+---------------+\n"),
    # -- fenced divs
    ("div-pullquote", "nl", "::: {.pullquote}\n“Wanneer je zelf niet bereid bent om te veranderen, dan verandert er ook niets.”\n:::\n"),
    ("div-bare-class", "nl", "::: pullquote\nEen uitspraak die blijft hangen.\n:::\n"),
    ("div-nested-equal", "en", "::: box\n### A box\n\n::: pullquote\nA quote in a box.\n:::\n\nMore text in the box.\n:::\n"),
    ("div-nested-longer", "nl", ":::: {.box}\n### Video\n\n::: {.pullquote}\n“Geloof in de kracht van de samenleving”\n:::\n\nDe samenleving kenmerkt zich door meervoudigheid.\n::::\n"),
    ("div-unclosed", "nl", "::: {.pullquote}\nEen citaat zonder einde.\n\nEn nog een alinea.\n"),
    ("div-empty", "nl", "::: {.box}\n:::\n\nTekst.\n"),
    ("div-unknown-class", "en", "::: warning\nThis is a warning.\n:::\n"),
    ("div-trailing-colons", "en", "::::: {.box} ::::\nHere is a paragraph.\n:::::\n"),
    # -- raw HTML and template code stay text
    ("raw-html", "en", "A tag like <b> stays text.\n"),
    ("template-code", "en", "Write {{ name }} or {% if %} as text.\n"),
    # -- math and others
    ("inline-math", "en", "The area is $\\pi r^2$ here.\n"),
    ("dollar-amount", "en", "It costs $20 to $30 per person.\n"),
    ("horizontal-rule", "en", "Above\n\n* * * *\n\nBelow\n"),
    ("hard-wrapped", "nl", "Innoveren. We kunnen er niet omheen. De huidige tijd vraagt\norganisaties en bestuurders om voortdurend te bewegen.\n"),
    # -- brochure text in Dutch, English and German
    ("brochure-nl", "nl", "Het Van Dale woordenboek beschrijft het kort en duidelijk: *be.stu.ren*, de leiding van iets hebben. "
     "En een *be.stuur* is een 'bewind' of 'een College dat de leiding heeft'.\n"),
    ("brochure-nl-list", "nl", "Associaties:\n\n- samen, samenleven\n- eigen kracht\n- brandstof voor de toekomst\n"),
    ("brochure-nl-mixed", "nl", "Na twee jaar zijn zij op zoek naar de *next step*. Het is 's avonds 20.00 uur.\n"),
    ("brochure-en", "en", "Social innovation isn't new. The region's 20 municipalities work together -- and \"together\" is the word.\n"),
    ("brochure-de", "de", "Die Gemeinden arbeiten zusammen. \"Soziale Innovation\" ist kein 'Schlagwort', sondern Praxis.\n"),
    ("brochure-de-umlaut", "de", "Größere Städte und kleinere Dörfer: Zwolle (130.000 Einwohner) und Raalte.\n"),
    ("brochure-fr", "fr", "Il a dit \"bonjour\" et 'au revoir'.\n"),
    ("address-line-block-de", "de", "| Stadt Zwolle\n| Postfach 140\n| 8000 AC Zwolle\n"),
]
