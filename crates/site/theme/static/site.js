// Progressive enhancement only: every feature works without this file.
//
// The comment form, the like buttons and the link application form are sent with fetch
// (Accept: application/json) instead of a page load; the answer is shown in the form's
// [role=status] element. Without fetch, or when the request fails on the way, the form is
// sent the ordinary way.
(function () {
  'use strict';
  if (!window.fetch || !window.URLSearchParams || !window.FormData) return;

  function statusOf(form) {
    var status = form.querySelector('[role=status]');
    if (!status) {
      status = document.createElement('p');
      status.className = 'form-status';
      status.setAttribute('role', 'status');
      form.appendChild(status);
    }
    return status;
  }

  function say(form, message, isError) {
    var status = statusOf(form);
    status.textContent = message || '';
    status.classList.toggle('notice-error', !!isError);
    status.classList.toggle('notice', !!message);
  }

  function newCaptcha(form) {
    var picture = form.querySelector('img.captcha-image');
    var answer = form.querySelector('input.captcha-answer');
    if (picture) {
      var src = picture.getAttribute('src').split('?')[0];
      picture.setAttribute('src', src + '?t=' + Date.now());
    }
    if (answer) answer.value = '';
  }

  function send(form) {
    return fetch(form.action, {
      method: 'POST',
      body: new URLSearchParams(new FormData(form)),
      headers: { Accept: 'application/json' },
      credentials: 'same-origin'
    }).then(function (response) {
      return response.json().then(function (data) {
        return { ok: response.ok, data: data };
      });
    });
  }

  function kindOf(form) {
    if (form.id === 'comment-form') return 'comment';
    if (form.id === 'link-apply-form') return 'apply';
    if (form.classList.contains('like-form')) return 'like';
    return null;
  }

  function done(form, kind, data) {
    if (kind === 'like') {
      var button = form.querySelector('.like-button');
      var count = form.querySelector('.like-count');
      if (count && typeof data.count === 'number') count.textContent = String(data.count);
      if (button) {
        button.setAttribute('aria-pressed', data.liked ? 'true' : 'false');
        var label = button.getAttribute('data-label');
        if (label) button.setAttribute('aria-label', label.replace('{count}', String(data.count)));
      }
      say(form, data.message || '', false);
      return;
    }
    if (kind === 'comment' && data.status === 'approved' && data.url) {
      window.location.assign(data.url);
      if (data.url.split('#')[0] === window.location.pathname + window.location.search) {
        window.location.reload();
      }
      return;
    }
    say(form, data.message, false);
    var body = form.querySelector('textarea[name=body]');
    if (body) body.value = '';
    if (kind === 'apply') form.reset();
    newCaptcha(form);
  }

  function failed(form, data) {
    say(form, data.message, true);
    newCaptcha(form);
    var field = data.field && form.querySelector('[name="' + data.field + '"]');
    if (field && field.type !== 'hidden') {
      field.setAttribute('aria-invalid', 'true');
      field.focus();
    }
  }

  document.addEventListener('submit', function (event) {
    var form = event.target;
    var kind = form instanceof HTMLFormElement ? kindOf(form) : null;
    if (!kind || form.getAttribute('aria-busy') === 'true') {
      if (kind) event.preventDefault();
      return;
    }
    event.preventDefault();
    form.setAttribute('aria-busy', 'true');
    Array.prototype.forEach.call(form.querySelectorAll('[aria-invalid]'), function (field) {
      field.removeAttribute('aria-invalid');
    });
    if (kind !== 'like') say(form, form.getAttribute('data-sending') || '', false);
    send(form)
      .then(function (answer) {
        form.removeAttribute('aria-busy');
        if (answer.ok) done(form, kind, answer.data);
        else failed(form, answer.data);
      })
      .catch(function () {
        // No JSON came back (offline, a proxy's page): let the browser send it.
        form.removeAttribute('aria-busy');
        form.submit();
      });
  });
})();
