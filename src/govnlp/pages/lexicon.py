"""Names, bylines and photo credits: the patterns a newspaper page uses for its people.

A byline (``本报记者 王五``) or a photo credit (``王五摄（人民视觉）``) is a short line of personal
names, optionally after a role (``本报记者``, ``新华社记者``, ``实习生``). These patterns are features
of the page model, not rules: the model weighs them against everything else it sees.
"""

from __future__ import annotations

import re

__all__ = ["is_credit", "is_names"]

# Personal names start with a common surname; this keeps short headlines such as 抢农时 from
# passing for a byline or a photo credit.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱"
    "严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁"
    "尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时"
    "穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾"
    "隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮"
    "粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬"
    "来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎"
    "勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
)
# Newspapers pad a two-character name to the width of a three-character one (申　琳, 王 五), so a
# one-character given name may stand apart from the surname.
NAME_PATTERN = (
    rf"(?:欧阳|司马|上官|诸葛|东方|皇甫|令狐|司徒|[{SURNAMES}])"
    r"(?:[\u4e00-\u9fff·]{1,3}|\s{1,2}[\u4e00-\u9fff](?!(?!摄)[\u4e00-\u9fff]))"
)
ROLE_PATTERN = r"(?:(?:本报|新华社|人民日报|中新社)?(?:特约)?(?:记者|通讯员|实习生))"
BYLINE_RE = re.compile(
    rf"^(?:{ROLE_PATTERN}\s*)?{NAME_PATTERN}(?:[\s、]+(?:{ROLE_PATTERN}\s*)?{NAME_PATTERN}){{0,2}}$"
)
# 摄, 摄影 or 摄影报道, then the agency or picture desk in brackets: 王五摄（人民视觉）.
CREDIT_RE = re.compile(
    rf"^(?:{ROLE_PATTERN}\s*)?{NAME_PATTERN}(?:[\s、]+(?:{ROLE_PATTERN}\s*)?{NAME_PATTERN}){{0,2}}\s*摄(?:影(?:报道)?)?"
    r"(?:\s*[（(][^（）()]{2,8}[）)])?$"
)


def is_names(text: str) -> bool:
    """Whether a line is one to three personal names, each optionally after a role.

    >>> is_names("本报记者 王五"), is_names("申\u3000琳"), is_names("春 耕")
    (True, True, False)
    """
    return bool(BYLINE_RE.match(text))


def is_credit(text: str) -> bool:
    """Whether a line is a photo credit: names, then 摄 (摄影, 摄影报道), maybe a picture desk.

    >>> is_credit("王五摄（人民视觉）"), is_credit("王五")
    (True, False)
    """
    return bool(CREDIT_RE.match(text))
