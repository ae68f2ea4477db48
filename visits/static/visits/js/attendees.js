'use strict';
// The visit form's "customer attendees" offer the contacts of the account being visited:
// add the currently chosen account to that field's autocomplete requests.
(function($) {
    $.ajaxPrefilter(function(options) {
        if (typeof options.data !== 'string' || options.data.indexOf('field_name=contact_attendees') === -1) {
            return;
        }
        const account = document.getElementById('id_account');
        if (account && account.value) {
            options.data += '&account=' + encodeURIComponent(account.value);
        }
    });
})(django.jQuery);
