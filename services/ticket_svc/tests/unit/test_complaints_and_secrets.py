"""TKT-4 (suspected complaints: each signal, and messages that must not be flagged), TKT-9."""
from datetime import UTC, datetime, timedelta

import pytest

from ticket_svc.domain.complaints import (
    ABUSIVE,
    BURST,
    PHONE_CALL,
    REPEATED,
    CustomerMessage,
    detect,
    similarity,
)
from ticket_svc.domain.secrets import mask_secrets

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def msg(body, minutes=0):
    return CustomerMessage(body, T0 + timedelta(minutes=minutes))


@pytest.mark.parametrize("body", ["请给我打电话", "麻烦电话联系我 138xxxx", "Please call me back asap",
                                  "Can you give me a call?"])
def test_TKT4_asking_for_a_phone_call_is_a_suspected_complaint(body):
    assert PHONE_CALL in detect(msg(body), [])


@pytest.mark.parametrize("body", ["你们就是骗子", "什么垃圾服务", "this is bullshit", "You are STUPID!"])
def test_TKT4_abusive_words_in_chinese_and_english_are_flagged(body):
    assert ABUSIVE in detect(msg(body), [])


def test_TKT4_the_maintained_word_list_is_extended_by_the_operator():
    assert ABUSIVE in detect(msg("你们真是坑爹"), [], words=("坑爹",))


def test_TKT4_the_same_question_three_times_in_other_words_is_flagged():
    earlier = [msg("网站打不开了，什么时候能修好？", 0), msg("网站还是打不开，什么时候能修好", 30)]
    assert REPEATED in detect(msg("请问网站打不开什么时候能修好啊", 60), earlier)
    assert similarity("网站打不开了，什么时候能修好？", "请问网站打不开什么时候能修好啊") > 0.6


def test_TKT4_many_messages_in_a_short_time_are_flagged():
    earlier = [msg(f"第{i}条补充说明：订单号 {i}{i}{i}", i) for i in range(4)]
    assert BURST in detect(msg("还有吗", 5), earlier)


@pytest.mark.parametrize("body,earlier", [
    ("页面的滚动条不见了", []),                               # 滚 in 滚动条 is no insult
    ("The class assignment page shows an error", []),        # 'ass' inside words
    ("电话号码字段校验失败，请看截图", []),                    # the word phone, no call asked for
    ("谢谢", [msg("谢谢", 0), msg("谢谢", 1)]),                # politeness, not a repeated question
    ("导出报表时报错", [msg("网站打不开了", 0), msg("登录后台很慢", 30)]),   # three different questions
    ("补充说明", [msg("一", 0), msg("二", 30), msg("三", 90)]),  # spread over hours, not a burst
])
def test_TKT4_ordinary_messages_are_not_flagged(body, earlier):
    assert detect(msg(body, 120), earlier) == []


@pytest.mark.parametrize("text,secret", [
    ("root 密码是 Abc#12345 谢谢", "Abc#12345"),
    ("password: hunter2", "hunter2"),
    ("AccessKeySecret=Zx9aaaBBBccc", "Zx9aaaBBBccc"),
    ("key LTAI5tAbCdEfGhIjKlMn used", "LTAI5tAbCdEfGhIjKlMn"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----", "MIIEabc"),
])
def test_TKT9_secrets_are_masked(text, secret):
    masked, found = mask_secrets(text)
    assert found and secret not in masked and "******" in masked


def test_TKT9_ordinary_text_is_untouched():
    assert mask_secrets("忘记密码页面打不开") == ("忘记密码页面打不开", False)


@pytest.mark.parametrize("text,secret", [
    ("密码Abc@123456", "Abc@123456"), ("登录密码 Abc12345", "Abc12345"), ("root/Passw0rd!2026", "Passw0rd!2026"),
    ("mysql -uroot -pS3cretPwd!", "S3cretPwd!"), ("sshpass -p 'MyP@ss'", "MyP@ss"),
    ("postgresql://app:SuperS3cret@db", "SuperS3cret"),
])
def test_TKT9_the_forms_customers_really_paste_are_masked(text, secret):
    masked, found = mask_secrets(text)
    assert found and secret not in masked


def test_TKT9_bypass_and_cryptography_are_not_secrets():
    assert mask_secrets("bypass = enabled") == ("bypass = enabled", False)
    assert mask_secrets("密码学课程") == ("密码学课程", False)


@pytest.mark.parametrize("body", ["请打我手机 13800138000", "请致电我", "麻烦回电"])
def test_TKT4_phone_calls_asked_in_other_words_are_suspected_complaints(body):
    assert PHONE_CALL in detect(msg(body), [])


@pytest.mark.parametrize("body", ["JVM 垃圾回收太频繁", "rubbish bin icon missing"])
def test_TKT4_garbage_collection_and_the_rubbish_bin_are_not_abuse(body):
    assert detect(msg(body), []) == []
