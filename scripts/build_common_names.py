#!/usr/bin/env python
"""Build ``src/embargo/match/data/common_names.json``: name tokens shared by many people.

A name match on "Wang Wei" or "John Smith" says far less than one on "Rosoboronexport":
hundreds of thousands of people share the name. The matcher needs to know which tokens are
common in the *population*, which the sanctions lists themselves cannot tell it. Sources:

* US Census 1990 surname and first-name frequencies (public domain; read from the ``names``
  package, ``pip install names``): surnames held by at least 0.01% of people, first names by
  at least 0.05%.
* Every syllable a Chinese character is read as in Mandarin pinyin and every Korean Hangul
  syllable in Revised Romanization, transliterated with ICU: a Chinese or Korean name is a
  family name and one or two such syllables, drawn from a small set.
* Short hand-written lists of the most common surnames and given names of other naming
  cultures (Vietnamese, Arabic, Persian, Turkish, Russian, Ukrainian, Spanish, Portuguese,
  French, German, Italian, Indian, Japanese), as published in national name statistics.

    python scripts/build_common_names.py
"""

from __future__ import annotations

import json
import unicodedata
from importlib import resources
from pathlib import Path

import icu

OUT = Path(__file__).resolve().parent.parent / "src/embargo/match/data/common_names.json"

HAND = {
    "vietnamese": """nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly
        van thi duc minh anh thanh thu huong hai tuan hung dung linh lan mai hoa trang
        quang long nam phuong thao ngoc""",
    "arabic": """mohammed muhammad mohamed mohammad mohamad ahmed ahmad ali hassan hasan
        hussein husain hussain omar umar abdullah abdallah ibrahim mahmoud mahmud mustafa
        mostafa yusuf youssef yousef khalid khaled said saeed salem salim fatima fatma aisha
        aicha maryam mariam zainab khadija amina nour noor abdul abdel abd rahman karim kareem
        hamid hamed nasser naser rashid jamal adel adil tariq tarek walid samir sami yasser
        osman othman hamza bilal amir emir""",
    "persian_turkish": """reza hossein hosseini mohammadi ahmadi rezaei karimi hashemi
        jafari rahimi ebrahimi moradi mousavi yilmaz kaya demir sahin celik yildiz yildirim
        ozturk aydin ozdemir arslan dogan kilic aslan cetin kara koc kurt ozkan simsek
        mehmet mustafa emine ayse fatma hatice zeynep elif""",
    "russian_ukrainian": """ivanov ivanova smirnov smirnova kuznetsov kuznetsova popov popova
        vasiliev vasilieva petrov petrova sokolov sokolova mikhailov novikov fedorov morozov
        volkov alekseev lebedev semenov egorov pavlov kozlov stepanov nikolaev orlov andreev
        makarov nikitin zakharov kovalenko bondarenko tkachenko shevchenko kravchenko
        boyko melnyk oliynyk alexander aleksandr alexandr sergei sergey dmitry dmitri
        andrei andrey alexei aleksei alexey nikolai nikolay ivan mikhail vladimir yuri
        yury oleg igor viktor pavel evgeny yevgeny anatoly vasily konstantin maxim maksim
        olga elena yelena natalia natalya tatiana tatyana irina svetlana anna maria marina
        ekaterina yekaterina ludmila lyudmila galina nadezhda oksana yulia julia""",
    "spanish_portuguese": """garcia rodriguez martinez lopez gonzalez hernandez perez sanchez
        ramirez torres flores rivera gomez diaz cruz morales reyes gutierrez ortiz jimenez
        ruiz alvarez moreno romero navarro dominguez vazquez ramos castillo silva santos
        oliveira souza sousa pereira costa carvalho almeida ferreira alves ribeiro rodrigues
        jose juan luis carlos jorge pedro miguel antonio manuel francisco javier maria
        ana carmen rosa lucia""",
    "french_german_italian_dutch": """martin bernard dubois thomas robert richard petit
        durand leroy moreau simon laurent lefebvre michel garcia david bertrand roux
        muller mueller schmidt schneider fischer weber meyer wagner becker schulz hoffmann
        koch richter klein wolf schroder neumann schwarz zimmermann rossi russo ferrari
        esposito bianchi romano colombo ricci marino greco bruno gallo conti de jong jansen
        de vries van bakker visser smit meijer jean pierre marie jacques philippe michel
        hans peter klaus wolfgang jurgen giuseppe giovanni francesco marco luca""",
    "south_asian": """kumar singh sharma patel gupta shah khan ali ahmed rao reddy das devi
        lal ram raj verma yadav mishra joshi chaudhary iyer nair pillai mehta jain""",
    "hebrew": """cohen kohen levi levy mizrahi peretz perez biton dahan avraham abraham
        friedman azulay malka david yosef yossi moshe yaakov yitzhak daniel noa tamar yael
        maya sarah sara rachel leah michal shira avi eli ori itai omer amit yonatan noam
        ariel eitan nir ronen shlomo haim chaim meir ben""",
    "korean_given_syllables": """gyeong kyeong kyong yeong young yong hyeon hyun hyon jeong
        jung chong seong sung song myeong myung myong eun un hye hyo hui hee jin jun ji min
        su soo ho hoon hun woo seo yeon yun won sik suk chol cheol chul nam il gil tae ki gi
        dong sang man hwan kwang gwang ryong ryeong ok ae sun mi na ra""",
    "japanese": """sato suzuki takahashi tanaka watanabe ito yamamoto nakamura kobayashi
        kato yoshida yamada sasaki yamaguchi matsumoto inoue kimura hayashi shimizu
        hiroshi takashi kenji yuki akira""",
}


def pinyin_syllables() -> set[str]:
    han = icu.Transliterator.createInstance("Han-Latin; Latin-ASCII; Lower")
    out: set[str] = set()
    for code in range(0x4E00, 0x9FA6):
        for syllable in han.transliterate(chr(code)).split():
            if syllable.isalpha():
                out.add(syllable)
    return out


def hangul_syllables() -> set[str]:
    tr = icu.Transliterator.createInstance("Hangul-Latin; Latin-ASCII; Lower")
    out: set[str] = set()
    for code in range(0xAC00, 0xD7A4):
        latin = tr.transliterate(chr(code)).replace("-", "").replace("'", "")
        if latin.isalpha():
            out.add(latin)
    # Korean names are also written in McCune-Reischauer and informal spellings.
    out.update(
        "kim lee park choi jung jeong kang cho yoon jang lim han oh seo shin kwon "
        "hwang ahn song jun yoo hong ko moon yang son bae baek heo nam sim noh ha "
        "kwak sung cha joo woo min ri pak chol jong il yong hyok myong kyong sun hui "
        "chun nam su ho song kuk hyon chang chong".split()
    )
    return out


def census(file: str, min_percent: float) -> set[str]:
    out: set[str] = set()
    text = resources.files("names").joinpath(file).read_text(encoding="ascii")
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and float(parts[1]) >= min_percent:
            out.add(parts[0].lower())
    return out


def ascii_lower(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def main() -> None:
    groups: dict[str, set[str]] = {
        "us_surnames": census("dist.all.last", 0.01),
        "us_given_names": census("dist.male.first", 0.05) | census("dist.female.first", 0.05),
        "pinyin_syllables": pinyin_syllables(),
        "korean_syllables": hangul_syllables(),
    }
    for name, words in HAND.items():
        groups[name] = {ascii_lower(w) for w in words.split()}
    tokens: dict[str, list[str]] = {}
    for group, words in sorted(groups.items()):
        for word in words:
            tokens.setdefault(word, []).append(group)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps({"tokens": {t: g for t, g in sorted(tokens.items())}}, ensure_ascii=True) + "\n",
        encoding="utf-8",
    )
    sizes = ", ".join(f"{g} {len(w)}" for g, w in sorted(groups.items()))
    print(f"{len(tokens)} common tokens written to {OUT} ({sizes})")


if __name__ == "__main__":
    main()
